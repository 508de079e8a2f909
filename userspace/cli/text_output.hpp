// Where `--json FILE` documents go: stdout for "-", else the file (util/output_file). For the small
// documents of quiz --list, doctor and state; Reports and matrices go through report_io.
#pragma once

#include <string>

namespace tristate::cli {

// Writes `text` to `path` ("-" = stdout). Logs the reason and returns false on failure.
bool write_output(const std::string& path, const std::string& text);

}  // namespace tristate::cli
