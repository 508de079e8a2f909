// Where a command's stream of lines goes (trace, state --watch): text on stdout unless -q or
// the JSON Lines take stdout; JSON Lines to --json FILE ("-": stdout), each line flushed as it
// is written so that `tail -f` or jq sees it at once. The lines are the product: the first
// failed write stops the output and keeps why, and the command ends with it.
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <string_view>

namespace tristate::cli {

class LineOutput {
 public:
  // `json`: "" for no JSON Lines. The file is opened now (util::open_output_stream); throws
  // std::runtime_error naming it when it cannot be.
  LineOutput(const std::string& json, bool quiet);

  // Where text lines go, nullptr when there are none (-q, or JSON on stdout).
  std::ostream* text() const { return text_; }
  bool json() const { return json_ != nullptr; }
  // One JSON Lines record, flushed.
  void json_line(std::string_view line);
  // After a batch of text lines: flushes them and notes a failed write.
  void end_batch();
  // What a command prints at its end goes where the lines do not: stderr when JSON has stdout.
  std::ostream& summary_stream() const;

  bool ok() const { return error_.empty(); }
  void fail(int err);
  // "cannot write FILE: why", once the output failed.
  const std::string& error() const { return error_; }

 private:
  std::string json_name_;
  std::unique_ptr<std::ostream> file_;
  std::ostream* json_ = nullptr;
  std::ostream* text_ = nullptr;
  std::string error_;
};

}  // namespace tristate::cli
