#include "cli/text_output.hpp"

#include <spdlog/spdlog.h>

#include "util/output_file.hpp"

namespace tristate::cli {

bool write_output(const std::string& path, const std::string& text) {
  // util::write_output never replaces a device, FIFO or symlink, and checks every write.
  if (auto done = util::write_output(path, text); !done) {
    spdlog::error("{}", done.error().message);
    return false;
  }
  return true;
}

}  // namespace tristate::cli
