#include "trace/live_command.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>
#include <utility>

namespace tristate::trace {

TracedCommand::TracedCommand(const std::vector<std::string>& argv, const sigset_t& child_mask) {
  if (argv.empty()) throw std::invalid_argument("no command given after --");
  name_ = argv[0];
  int go_ends[2], err_ends[2];
  if (pipe2(go_ends, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe");
  util::UniqueFd go_read(go_ends[0]), go_write(go_ends[1]);
  if (pipe2(err_ends, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe");
  util::UniqueFd err_read(err_ends[0]), err_write(err_ends[1]);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_ = fork();
  if (pid_ < 0) throw std::system_error(errno, std::generic_category(), "fork");
  if (pid_ == 0) {
    // only async-signal-safe calls from here to exec (UniqueFd::reset is a close())
    go_write.reset();
    err_read.reset();
    char c;
    ssize_t n;
    while ((n = read(go_read.get(), &c, 1)) < 0 && errno == EINTR) {
    }
    if (n != 0) _exit(127);  // the tracer gave up (it closes without writing only on success)
    sigprocmask(SIG_SETMASK, &child_mask, nullptr);
    execvp(args[0], args.data());
    int e = errno;
    (void)!write(err_write.get(), &e, sizeof(e));
    _exit(127);
  }
  go_fd_ = std::move(go_write);
  err_fd_ = std::move(err_read);
}

TracedCommand::~TracedCommand() {
  if (go_fd_) {
    // never released: tell the child to give up instead of exec'ing untraced
    char c = 'x';
    (void)!write(go_fd_.get(), &c, 1);
    go_fd_.reset();
  }
  err_fd_.reset();
  if (pid_ > 0 && !status_) {
    kill(pid_, SIGKILL);
    int st;
    while (waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
    }
  }
}

void TracedCommand::release() {
  go_fd_.reset();
  int e = 0;
  ssize_t n;
  while ((n = read(err_fd_.get(), &e, sizeof(e))) < 0 && errno == EINTR) {
  }
  err_fd_.reset();
  if (n == sizeof(e)) {
    try_wait();
    throw std::runtime_error("cannot run '" + name_ + "': " + std::strerror(e));
  }
}

std::optional<int> TracedCommand::try_wait() {
  if (status_ || pid_ <= 0) return status_;
  int st = 0;
  pid_t r = waitpid(pid_, &st, WNOHANG);
  if (r == pid_) {
    if (WIFEXITED(st)) status_ = WEXITSTATUS(st);
    else if (WIFSIGNALED(st)) status_ = 128 + WTERMSIG(st);
  }
  return status_;
}

void TracedCommand::signal(int sig) const {
  if (pid_ > 0 && !status_) kill(pid_, sig);
}

}  // namespace tristate::trace
