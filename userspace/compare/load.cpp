#include <filesystem>
#include <map>

#include "compare/matrix.hpp"
#include "report/report_json.hpp"
#include "util/input_file.hpp"

namespace tristate::compare {

namespace fs = std::filesystem;

LabelledReport load_report(const std::string& path) {
  // "-": a report piped in (`ssh prod tristate quiz --json - | tristate compare lab.json -`)
  const bool from_stdin = path == "-";
  const std::string shown = from_stdin ? "<stdin>" : path;
  auto text = util::read_bounded(from_stdin ? "/dev/stdin" : path, kMaxReportBytes);
  if (!text) {
    const std::string& m = text.error().message;
    throw CompareError(from_stdin ? shown + m.substr(m.find(':')) : m);
  }
  LabelledReport out;
  out.file = shown;
  try {
    out.report = report::parse_report(text.value(), shown);
  } catch (const std::runtime_error& e) {
    // parse_report already names the file and the byte offset, JSON path or schema.
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
