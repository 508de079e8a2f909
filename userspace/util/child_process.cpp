#include "util/child_process.hpp"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <utility>

#include "util/unique_fd.hpp"

namespace tristate::util {
namespace {

// In the child, after fork: only async-signal-safe calls from here on.
bool wire(const ChildStream& s, int target, int dev_null_flags) {
  switch (s.kind) {
    case ChildStream::Kind::Inherit:
      return true;
    case ChildStream::Kind::DevNull: {
      const int fd = ::open("/dev/null", dev_null_flags);
      if (fd < 0) return false;
      if (fd == target) return true;
      const bool ok = ::dup2(fd, target) >= 0;
      ::close(fd);
      return ok;
    }
    case ChildStream::Kind::Fd:
      return ::dup2(s.fd, target) >= 0;  // dup2 clears O_CLOEXEC on the copy
  }
  return false;
}

// The failing step's errno goes up the close-on-exec pipe; the parent names it.
[[noreturn]] void child_fail(int report_fd) {
  const int e = errno;
  (void)!::write(report_fd, &e, sizeof e);
  ::_exit(127);
}

void child_setup(const ChildOptions& opts, pid_t parent, int report_fd) {
  if (opts.die_with_parent) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the parent died before prctl took effect
  }
  if (opts.own_process_group) ::setpgid(0, 0);
  if (!wire(opts.in, 0, O_RDONLY) || !wire(opts.out, 1, O_WRONLY) || !wire(opts.err, 2, O_WRONLY))
    child_fail(report_fd);
  if (!opts.cwd.empty() && ::chdir(opts.cwd.c_str()) != 0) child_fail(report_fd);
}

// Forks; the child runs setup then body (which must not return normally from an exec
// path), the parent learns from the report pipe whether setup or exec failed.
Result<pid_t> start(const ChildOptions& opts, const std::string& what, const std::function<void(int)>& body) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return Error{"pipe: " + std::string(std::strerror(errno))};
  UniqueFd rd(p[0]), wr(p[1]);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) return Error{"fork: " + std::string(std::strerror(errno))};
  if (pid == 0) {
    ::close(rd.release());  // the child only writes to the report pipe
    child_setup(opts, parent, wr.get());
    body(wr.get());
    ::_exit(127);
  }
  wr.reset();
  int e = 0;
  ssize_t n;
  do n = ::read(rd.get(), &e, sizeof e);
  while (n < 0 && errno == EINTR);
  if (n == sizeof e) {
    int st;
    while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    return Error{"cannot run " + what + ": " + std::strerror(e)};
  }
  return pid;
}

}  // namespace

int exit_status(int st) {
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
  return -1;
}

Result<ChildProcess> ChildProcess::exec(const std::vector<std::string>& argv, const ChildOptions& opts) {
  if (argv.empty()) return Error{"run: empty command"};
  std::vector<char*> args;  // built before fork: the child must not allocate
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  auto pid = start(opts, argv[0], [&args](int report_fd) {
    ::execvp(args[0], args.data());
    child_fail(report_fd);
  });
  if (!pid) return pid.error();
  return ChildProcess(pid.value());
}

Result<ChildProcess> ChildProcess::call(const std::function<int()>& fn, const ChildOptions& opts) {
  auto pid = start(opts, "a forked child", [&fn](int report_fd) {
    ::close(report_fd);  // setup succeeded: the parent stops waiting here
    int rc = 127;
    try {
      rc = fn();
    } catch (...) {
    }
    ::_exit(rc);
  });
  if (!pid) return pid.error();
  return ChildProcess(pid.value());
}

ChildProcess::ChildProcess(ChildProcess&& o) noexcept
    : pid_(std::exchange(o.pid_, -1)), status_(o.status_) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& o) noexcept {
  if (this != &o) {
    kill_and_wait();
    pid_ = std::exchange(o.pid_, -1);
    status_ = o.status_;
  }
  return *this;
}

ChildProcess::~ChildProcess() { kill_and_wait(); }

int ChildProcess::wait() {
  if (pid_ > 0) {
    int st = 0;
    while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {}
    status_ = exit_status(st);
    pid_ = -1;
  }
  return status_;
}

std::optional<int> ChildProcess::try_wait() {
  if (pid_ < 0) return status_;
  int st = 0;
  pid_t r;
  while ((r = ::waitpid(pid_, &st, WNOHANG)) < 0 && errno == EINTR) {}
  if (r == 0) return std::nullopt;
  status_ = r == pid_ ? exit_status(st) : -1;
  pid_ = -1;
  return status_;
}

int ChildProcess::kill_and_wait() {
  if (pid_ > 0) ::kill(pid_, SIGKILL);
  return wait();
}

}  // namespace tristate::util
