#include "cli/text_output.hpp"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>

namespace tristate::cli {

bool write_output(const std::string& path, const std::string& text) {
  if (path == "-") {
    std::cout << text << std::flush;
    return static_cast<bool>(std::cout);
  }
  std::ofstream out(path, std::ios::out | std::ios::trunc);
  out << text;
  if (!out.flush()) {
    spdlog::error("cannot write {}: {}", path, std::strerror(errno));
    return false;
  }
  return true;
}

}  // namespace tristate::cli
