#include "util/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "util/unique_fd.hpp"

namespace fs = std::filesystem;

namespace tristate::util {

fs::path atomic_temp_path(const fs::path& path) {
  return path.string() + ".tmp-" + std::to_string(::getpid());
}

Result<void> write_file_atomic(const fs::path& path, std::string_view text) {
  const fs::path tmp = atomic_temp_path(path);
  auto fail = [&tmp](const std::string& what) {
    const std::string why = std::strerror(errno);
    std::error_code ec;
    fs::remove(tmp, ec);
    return Error{tmp.string() + ": cannot " + what + ": " + why};
  };
  // O_TRUNC, not O_EXCL: the name is ours (our pid); one left by a dead run of the same pid
  // is ours to overwrite.
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0666));
  if (!fd) return fail("create");
  for (std::size_t done = 0; done < text.size();) {
    const ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail("write");
    done += std::size_t(n);
  }
  if (::close(fd.release()) != 0) return fail("write");
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    std::error_code ec;
    fs::remove(tmp, ec);
    return Error{path.string() + ": cannot replace: " + why};
  }
  return {};
}

}  // namespace tristate::util
