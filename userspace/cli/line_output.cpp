#include "cli/line_output.hpp"

#include <cerrno>
#include <cstring>
#include <iostream>
#include <stdexcept>

#include "util/output_file.hpp"

namespace tristate::cli {

LineOutput::LineOutput(const std::string& json, bool quiet) : json_name_(json) {
  if (json == "-") {
    json_ = &std::cout;
  } else if (!json.empty()) {
    auto opened = util::open_output_stream(json);
    if (!opened) throw std::runtime_error(opened.error().message);
    file_ = std::move(opened.value());
    json_ = file_.get();
  }
  if (!quiet && json_ != &std::cout) text_ = &std::cout;
}

void LineOutput::json_line(std::string_view line) {
  if (!json_ || !ok()) return;
  *json_ << line << "\n";
  json_->flush();
  if (!*json_) fail(errno);
}

void LineOutput::end_batch() {
  if (!text_ || !ok()) return;
  text_->flush();
  if (!*text_) fail(errno);
}

std::ostream& LineOutput::summary_stream() const { return json_ == &std::cout ? std::cerr : std::cout; }

void LineOutput::fail(int err) {
  if (!ok()) return;
  // the JSON file when its stream broke, or when it is the only output (a FIFO's reader left)
  const bool json_file = json_ && json_ != &std::cout && (!*json_ || !text_);
  error_ = "cannot write " + (json_file ? json_name_ : std::string("standard output")) + ": " +
           std::strerror(err ? err : EIO);
}

}  // namespace tristate::cli
