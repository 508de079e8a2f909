// Decodes the guest's serial console stream: console lines (kept as a tail for errors), the
// READY marker (end of boot, with the guest's uname -r), the base64 payload between markers,
// and the EXIT marker with the guest command's status. Pure: fed bytes, no I/O.
#pragma once

#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tristate::lab {

// Strict base64 (RFC 4648, '=' padding, whitespace ignored); throws std::runtime_error on a
// bad character or length.
std::string base64_decode(std::string_view text);

// Inflates a gzip stream; throws std::runtime_error naming what is wrong with it.
std::string gunzip(std::string_view gz);

class SerialDecoder {
 public:
  explicit SerialDecoder(std::size_t tail_lines = 40) : tail_max_(tail_lines) {}

  // Feeds raw console bytes; calls on_line for each complete non-marker line.
  void feed(std::string_view bytes);
  // Flushes a last unterminated line (at EOF).
  void finish();

  std::function<void(const std::string&)> on_line;

  bool ready() const { return ready_; }
  const std::string& release() const { return release_; }
  bool payload_started() const { return in_payload_ || payload_done_; }
  bool has_payload() const { return payload_done_; }
  bool no_payload() const { return no_payload_; }
  // Decoded payload (inflated when the guest sent it gzipped); throws std::runtime_error when
  // the base64, its length or the gzip stream is damaged, or the encoding is unknown.
  std::string payload() const;
  std::optional<int> exit_status() const { return exit_; }
  const std::deque<std::string>& tail() const { return tail_; }
  std::string tail_text() const;  // the tail, one "  | line" per line
  // What the guest command printed (stdout and stderr share the console), each line with its
  // newline: console lines after READY until the payload or EXIT marker. Kept up to
  // kCommandOutputMax bytes; command_output_truncated() says whether more came.
  static constexpr std::size_t kCommandOutputMax = 4 << 20;
  const std::string& command_output() const { return command_output_; }
  bool command_output_truncated() const { return command_output_truncated_; }
  // The kernel's "Kernel panic - ..." line, kept apart from the tail: a panic's call trace
  // alone can be longer than the tail and push it out.
  const std::optional<std::string>& panic_line() const { return panic_line_; }
  // The console lines for an error message: the tail; after a panic, the lines just before it
  // (what the guest was doing), the panic line, and the tail's lines since (a "... N lines ..."
  // line where some were cut), since a long call trace pushes the first two out of tail().
  std::vector<std::string> error_console() const;

 private:
  void line(std::string l);
  std::size_t tail_max_;
  std::string partial_;
  std::deque<std::string> tail_;
  bool ready_ = false;
  std::string release_;
  bool in_payload_ = false;
  bool payload_done_ = false;
  bool no_payload_ = false;
  std::string b64_;
  std::string encoding_;  // "" (the file as is) or "gzip", from the BEGIN marker
  long long declared_size_ = -1;
  std::optional<int> exit_;
  std::optional<std::string> panic_line_;
  std::vector<std::string> before_panic_;  // up to kBeforePanic lines, then the panic's own
  std::size_t since_panic_ = 0;            // console lines after the panic line
  static constexpr std::size_t kBeforePanic = 8;
  std::string command_output_;
  bool command_output_truncated_ = false;
};

}  // namespace tristate::lab
