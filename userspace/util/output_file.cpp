#include "util/output_file.hpp"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <ext/stdio_filebuf.h>
#include <iostream>

#include "util/unique_fd.hpp"

namespace tristate::util {
namespace {

Error failed(const std::string& what, const std::string& path, int err) {
  return Error{"cannot " + what + " " + path + ": " + std::strerror(err)};
}

// write(2) until everything is out; EINTR is retried, a short write continued.
int write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    text.remove_prefix(static_cast<std::size_t>(n));
  }
  return 0;
}

// Closes and reports close(2)'s own error: NFS and some devices only fail there.
int close_checked(UniqueFd& fd) {
  const int raw = fd.release();
  return ::close(raw) == 0 || errno == EINTR ? 0 : errno;
}

Result<void> write_in_place(const std::string& path, std::string_view text) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY));
  if (!fd) return failed("open", path, errno);
  struct stat st {};
  // Only a regular file (a symlink's target) is emptied first; devices and FIFOs are not.
  if (::fstat(fd.get(), &st) == 0 && S_ISREG(st.st_mode) && ::ftruncate(fd.get(), 0) != 0)
    return failed("truncate", path, errno);
  if (int e = write_all(fd.get(), text)) return failed("write", path, e);
  if (int e = close_checked(fd)) return failed("write", path, e);
  return {};
}

std::string random_suffix() {
  unsigned char b[6];
  if (::getrandom(b, sizeof b, GRND_NONBLOCK) != static_cast<ssize_t>(sizeof b)) {
    // no entropy yet (early in a guest): the name only has to be unused, O_EXCL checks that
    const auto t = static_cast<unsigned long>(::getpid()) * 2654435761UL;
    std::memcpy(b, &t, sizeof b);
  }
  static const char hex[] = "0123456789abcdef";
  std::string s;
  for (unsigned char c : b) s += {hex[c >> 4], hex[c & 15]};
  return s;
}

Result<void> replace_atomically(const std::string& path, std::string_view text, const struct stat* old) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::string tmp;
  UniqueFd fd;
  for (int attempt = 0; attempt < 16 && !fd; ++attempt) {
    tmp = (dir / ("." + target.filename().string() + ".tmp-" + random_suffix())).string();
    // O_EXCL: never follows a symlink planted at the name, never reuses a file.
    fd.reset(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666));
    if (!fd && errno != EEXIST) return failed("create a temporary file in", dir.string(), errno);
  }
  if (!fd) return failed("create a temporary file in", dir.string(), EEXIST);
  auto abandon = [&](const std::string& what, int err) {
    ::unlink(tmp.c_str());
    return failed(what, path, err);
  };
  // A replaced file keeps its permission bits (not its owner: root writes root's file).
  if (old && ::fchmod(fd.get(), old->st_mode & 07777) != 0) return abandon("set the mode of", errno);
  if (int e = write_all(fd.get(), text)) return abandon("write", e);
  if (::fsync(fd.get()) != 0) return abandon("write", errno);
  if (int e = close_checked(fd)) return abandon("write", e);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return abandon("replace", errno);
  return {};
}

// fs.protected_symlinks=1's rule, kept whatever the sysctl says (it is 0 on this project's
// own machines): a symlink in a sticky world-writable directory (/tmp) is followed only when
// it belongs to this process's user or to the directory's owner. Otherwise another user could
// plant /tmp/report.json -> /etc/passwd and have root's `--json /tmp/report.json` write there.
Result<void> check_planted_symlink(const std::string& path, const struct stat& link) {
  if (!S_ISLNK(link.st_mode)) return {};
  namespace fs = std::filesystem;
  const fs::path target(path);
  const std::string dir = target.has_parent_path() ? target.parent_path().string() : ".";
  struct stat d {};
  if (::stat(dir.c_str(), &d) != 0) return {};
  const bool sticky_world = (d.st_mode & S_ISVTX) && (d.st_mode & S_IWOTH);
  if (sticky_world && link.st_uid != ::geteuid() && link.st_uid != d.st_uid)
    return Error{"cannot write " + path + ": it is a symlink another user (uid " + std::to_string(link.st_uid) +
                 ") made in the shared directory " + dir + "; not followed (as fs.protected_symlinks=1 would not)"};
  return {};
}

}  // namespace

Result<void> write_output(const std::string& path, std::string_view text) {
  if (path.empty()) return Error{"an output path is empty (use - for standard output)"};
  if (path == "-") {
    std::cout.flush();
    if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0)
      return failed("write", "standard output", errno);
    return {};
  }
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) return failed("write", path, errno);
    return replace_atomically(path, text, nullptr);
  }
  if (S_ISDIR(st.st_mode)) return Error{"cannot write " + path + ": it is a directory"};
  if (S_ISREG(st.st_mode)) return replace_atomically(path, text, &st);
  if (auto planted = check_planted_symlink(path, st); !planted) return planted;
  return write_in_place(path, text);  // a device, FIFO, socket or symlink: never replaced
}

namespace {

// An ostream over a descriptor it owns (libstdc++'s stdio_filebuf closes it).
class FdOStream : public std::ostream {
 public:
  explicit FdOStream(int fd) : std::ostream(nullptr), buf_(fd, std::ios::out) { rdbuf(&buf_); }

 private:
  __gnu_cxx::stdio_filebuf<char> buf_;
};

}  // namespace

Result<std::unique_ptr<std::ostream>> open_output_stream(const std::string& path) {
  int flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_NOCTTY;
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) return failed("write", path, errno);
    flags |= O_EXCL;  // a symlink planted between the lstat and the open makes the open fail
  } else if (S_ISDIR(st.st_mode)) {
    return Error{"cannot write " + path + ": it is a directory"};
  } else if (S_ISLNK(st.st_mode)) {
    if (auto planted = check_planted_symlink(path, st); !planted) return planted.error();
    struct stat target {};
    if (::stat(path.c_str(), &target) == 0 && S_ISREG(target.st_mode)) flags |= O_TRUNC;  // as `>` does
  } else {
    flags |= O_NOFOLLOW;
    if (S_ISREG(st.st_mode)) flags |= O_TRUNC;
  }
  const int fd = ::open(path.c_str(), flags, 0666);
  if (fd < 0) return failed("write", path, errno);
  return std::unique_ptr<std::ostream>(std::make_unique<FdOStream>(fd));
}

Result<void> check_output(const std::string& path) {
  if (path.empty() || path == "-") return {};
  namespace fs = std::filesystem;
  auto writable = [](const std::string& p) { return ::faccessat(AT_FDCWD, p.c_str(), W_OK, AT_EACCESS) == 0; };
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) return failed("write", path, errno);
    const fs::path target(path);
    const std::string dir = target.has_parent_path() ? target.parent_path().string() : ".";
    struct stat d {};
    if (::stat(dir.c_str(), &d) != 0)
      return Error{"cannot write " + path + ": " + (errno == ENOENT ? "there is no directory " + dir : dir + ": " + std::strerror(errno))};
    if (!S_ISDIR(d.st_mode)) return Error{"cannot write " + path + ": " + dir + " is not a directory"};
    if (::faccessat(AT_FDCWD, dir.c_str(), W_OK | X_OK, AT_EACCESS) != 0)
      return Error{"cannot write " + path + ": cannot create files in " + dir + ": " + std::strerror(errno)};
    return {};
  }
  if (S_ISDIR(st.st_mode)) return Error{"cannot write " + path + ": it is a directory"};
  if (S_ISREG(st.st_mode)) {  // replaced through a temporary in its directory
    const fs::path target(path);
    const std::string dir = target.has_parent_path() ? target.parent_path().string() : ".";
    if (::faccessat(AT_FDCWD, dir.c_str(), W_OK | X_OK, AT_EACCESS) != 0)
      return Error{"cannot write " + path + ": cannot create files in " + dir + ": " + std::strerror(errno)};
    return {};
  }
  // A device, FIFO or symlink is opened and written in place (a FIFO is not opened here: that
  // would wait for a reader).
  if (auto planted = check_planted_symlink(path, st); !planted) return planted;
  struct stat t {};
  if (::stat(path.c_str(), &t) != 0) return failed("write", path, errno);  // a dangling symlink
  if (S_ISDIR(t.st_mode)) return Error{"cannot write " + path + ": it is a directory"};
  if (!writable(path)) return failed("write", path, errno);
  return {};
}

Result<void> close_stdout() {
  std::cout.flush();
  int err = 0;
  // glibc keeps unwritten bytes after a failed write, so this flush fails again with the
  // original errno (ENOSPC, EPIPE); a large write that failed straight from the stream leaves
  // only the stream's error flag, and no errno to quote.
  bool lost_errno = false;
  if (std::fflush(stdout) != 0)
    err = errno;
  else if (!std::cout || std::ferror(stdout))
    lost_errno = true;
  if (std::fclose(stdout) != 0 && !err && !lost_errno) err = errno;
  if (lost_errno && !err)
    return Error{"cannot write standard output: a write failed, the output is incomplete"};
  if (err) return failed("write", "standard output", err);
  return {};
}

}  // namespace tristate::util
