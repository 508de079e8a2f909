#include "util/input_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "util/unique_fd.hpp"

namespace tristate::util {

std::string human_bytes(std::size_t bytes) {
  char buf[32];
  if (bytes >= (1u << 20))
    std::snprintf(buf, sizeof buf, "%.1f MiB", double(bytes) / (1u << 20));
  else if (bytes >= 1024)
    std::snprintf(buf, sizeof buf, "%.1f KiB", double(bytes) / 1024);
  else
    std::snprintf(buf, sizeof buf, "%zu bytes", bytes);
  return buf;
}

Result<std::string> read_bounded(const std::string& path, std::size_t max_bytes) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!fd) return Error{path + (errno == ENOENT ? std::string(": no such file") : ": cannot open: " + std::string(std::strerror(errno)))};
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return Error{path + ": cannot read: " + std::strerror(errno)};
  if (S_ISDIR(st.st_mode)) return Error{path + ": is a directory"};
  const std::string limit = "; the limit is " + human_bytes(max_bytes);
  if (S_ISREG(st.st_mode) && static_cast<std::size_t>(st.st_size) > max_bytes)
    return Error{path + ": too large (" + human_bytes(static_cast<std::size_t>(st.st_size)) + ")" + limit};
  std::string text;
  if (S_ISREG(st.st_mode)) text.reserve(static_cast<std::size_t>(st.st_size));
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error{path + ": cannot read: " + std::strerror(errno)};
    }
    if (n == 0) break;
    if (text.size() + static_cast<std::size_t>(n) > max_bytes)
      return Error{path + ": more than " + human_bytes(max_bytes) + " read without reaching its end" + limit};
    text.append(buf, static_cast<std::size_t>(n));
  }
  return text;
}

}  // namespace tristate::util
