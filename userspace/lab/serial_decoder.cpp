#include "lab/serial_decoder.hpp"

#include <algorithm>

#include <zlib.h>

#include <stdexcept>

#include "lab/initramfs.hpp"

namespace tristate::lab {
namespace {

int b64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Text between "<marker> " and the closing "@@" of a marker line, or nullopt.
std::optional<std::string> marker_arg(const std::string& line, const char* marker) {
  auto p = line.find(marker);
  if (p == std::string::npos) return std::nullopt;
  std::string rest = line.substr(p + std::string(marker).size());
  auto end = rest.rfind("@@");
  if (end == std::string::npos) return std::nullopt;
  rest = rest.substr(0, end);
  if (!rest.empty() && rest[0] == ' ') rest.erase(0, 1);
  return rest;
}

}  // namespace

std::string base64_decode(std::string_view text) {
  std::string out;
  unsigned buf = 0;
  int bits = 0, pad = 0, count = 0;
  for (char c : text) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    if (c == '=') {
      ++pad;
      ++count;
      continue;
    }
    int v = b64_value(c);
    if (v < 0 || pad > 0)
      throw std::runtime_error(std::string("bad base64 character '") + c + "' in the guest payload");
    ++count;
    buf = (buf << 6) | unsigned(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += char((buf >> bits) & 0xff);
    }
  }
  if (count % 4 != 0 || pad > 2) throw std::runtime_error("truncated base64 in the guest payload");
  return out;
}

void SerialDecoder::feed(std::string_view bytes) {
  for (char c : bytes) {
    if (c == '\n') {
      line(std::move(partial_));
      partial_.clear();
    } else if (c != '\r') {
      partial_ += c;
    }
  }
}

void SerialDecoder::finish() {
  if (!partial_.empty()) line(std::move(partial_));
  partial_.clear();
}

// Firmware and the kernel emit terminal escapes (SeaBIOS clears the screen): drop them so
// the console tail shown to the user is plain text.
static std::string strip_escapes(const std::string& in) {
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    unsigned char c = (unsigned char)in[i];
    if (c == 0x1b) {
      if (i + 1 < in.size() && in[i + 1] == '[') {
        i += 2;
        while (i < in.size() && !(in[i] >= '@' && in[i] <= '~')) ++i;
      } else {
        ++i;  // two-byte sequence such as ESC c
      }
      continue;
    }
    if (c < 0x20 && c != '\t') continue;
    out += char(c);
  }
  return out;
}

void SerialDecoder::line(std::string l) {
  l = strip_escapes(l);
  if (in_payload_) {
    if (auto size = marker_arg(l, kMarkEnd)) {
      in_payload_ = false;
      payload_done_ = true;
      try {
        declared_size_ = std::stoll(*size);
      } catch (...) {
        declared_size_ = -1;
      }
    } else {
      b64_ += l;
    }
    return;
  }
  if (auto rel = marker_arg(l, kMarkReady)) {
    ready_ = true;
    release_ = *rel;
    return;
  }
  if (auto enc = marker_arg(l, kMarkBegin)) {
    in_payload_ = true;
    encoding_ = *enc;
    return;
  }
  if (marker_arg(l, kMarkNone)) {
    no_payload_ = true;
    return;
  }
  if (auto st = marker_arg(l, kMarkExit)) {
    try {
      exit_ = std::stoi(*st);
    } catch (...) {
      exit_ = -1;
    }
    return;
  }
  if (panic_line_) {
    ++since_panic_;
  } else if (auto at = l.find("Kernel panic"); at != std::string::npos) {
    panic_line_ = l.substr(at);
    const std::size_t n = std::min(kBeforePanic, tail_.size());
    before_panic_.assign(tail_.end() - static_cast<std::ptrdiff_t>(n), tail_.end());
    before_panic_.push_back(l);
  }
  if (ready_ && !payload_done_ && !no_payload_ && !exit_) {
    if (command_output_.size() + l.size() + 1 <= kCommandOutputMax)
      command_output_.append(l).push_back('\n');
    else
      command_output_truncated_ = true;
  }
  tail_.push_back(l);
  while (tail_.size() > tail_max_) tail_.pop_front();
  if (on_line) on_line(l);
}

std::string SerialDecoder::payload() const {
  std::string p = base64_decode(b64_);
  if (declared_size_ >= 0 && (long long)p.size() != declared_size_)
    throw std::runtime_error("guest payload damaged on the serial console: " + std::to_string(p.size()) +
                             " bytes decoded, the guest sent " + std::to_string(declared_size_));
  if (encoding_.empty()) return p;
  if (encoding_ == "gzip") return gunzip(p);
  throw std::runtime_error("guest payload in an unknown encoding '" + encoding_ +
                           "' (a guest init from another tristate version?)");
}

std::string gunzip(std::string_view gz) {
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) throw std::runtime_error("zlib: inflateInit2 failed");
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  z.avail_in = static_cast<uInt>(gz.size());
  std::string out;
  char buf[65536];
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buf, sizeof buf - z.avail_out);
    if (rc == Z_BUF_ERROR && z.avail_in == 0) break;  // input ended before the stream did
  }
  const bool whole = rc == Z_STREAM_END && z.avail_in == 0;
  const std::string why = z.msg ? z.msg : rc == Z_STREAM_END ? "bytes after the end of the stream" : "truncated";
  inflateEnd(&z);
  if (!whole) throw std::runtime_error("guest payload: the gzip stream is damaged (" + why + ")");
  return out;
}

std::vector<std::string> SerialDecoder::error_console() const {
  if (!panic_line_) return {tail_.begin(), tail_.end()};
  std::vector<std::string> out = before_panic_;
  const std::size_t after = std::min(since_panic_, tail_.size());
  if (since_panic_ > after) out.push_back("... " + std::to_string(since_panic_ - after) + " lines ...");
  out.insert(out.end(), tail_.end() - static_cast<std::ptrdiff_t>(after), tail_.end());
  return out;
}

std::string SerialDecoder::tail_text() const {
  std::string out;
  for (auto& l : tail_) out += "  | " + l + "\n";
  return out;
}

}  // namespace tristate::lab
