#include "cli/text_output.hpp"

#include <spdlog/spdlog.h>

#include <iostream>

#include "util/output_file.hpp"

namespace tristate::cli {

bool write_output(const std::string& path, const std::string& text) {
  if (auto done = util::write_output(path, text); !done) {
    spdlog::error("{}", done.error().message);
    return false;
  }
  spdlog::debug("wrote {}", path);
  return true;
}

bool write_json(const std::string& path, const nlohmann::json& doc) {
  return write_output(path, doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

void print_method_notes(const std::string& method, const std::string& blind) {
  std::cerr << "how: " << method << "\nnot seen: " << blind << "\n";
}

}  // namespace tristate::cli
