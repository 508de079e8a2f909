#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "compare/matrix.hpp"
#include "report/report_json.hpp"

namespace tristate::compare {

namespace fs = std::filesystem;

LabelledReport load_report(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec))
    throw CompareError(path + ": no such file");
  if (fs::is_directory(path, ec))
    throw CompareError(path + ": is a directory, expected a report written with --json");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw CompareError(path + ": cannot open: " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw CompareError(path + ": read failed: " + std::strerror(errno));
  LabelledReport out;
  out.file = path;
  try {
    out.report = report::parse_report(text.str(), path);
  } catch (const std::runtime_error& e) {
    // parse_report already names the file, the byte offset or the schema it found.
    throw CompareError(e.what());
  }
  return out;
}

void assign_labels(std::vector<LabelledReport>& inputs) {
  std::map<std::string, int> release_count;
  for (const auto& in : inputs) ++release_count[in.report.kernel.release];
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    auto& in = inputs[i];
    if (!in.label.empty()) continue;
    const std::string& rel = in.report.kernel.release;
    const std::string base = in.file.empty() ? "" : fs::path(in.file).filename().string();
    if (!rel.empty() && release_count[rel] == 1)
      in.label = rel;
    else if (!base.empty())
      in.label = rel.empty() ? base : base + " (" + rel + ")";
    else
      in.label = rel.empty() ? "report " + std::to_string(i + 1) : rel;
  }
  // Columns must be told apart even when two inputs share a name.
  std::map<std::string, int> seen;
  for (auto& in : inputs) {
    const int n = ++seen[in.label];
    if (n > 1) in.label += " #" + std::to_string(n);
  }
}

}  // namespace tristate::compare
