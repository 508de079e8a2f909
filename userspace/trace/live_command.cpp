#include "trace/live_command.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

namespace tristate::trace {

TracedCommand::TracedCommand(const std::vector<std::string>& argv, const sigset_t& child_mask) {
  if (argv.empty()) throw std::invalid_argument("no command given after --");
  name_ = argv[0];
  int go[2], err[2];
  if (pipe2(go, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe");
  if (pipe2(err, O_CLOEXEC) != 0) {
    close(go[0]);
    close(go[1]);
    throw std::system_error(errno, std::generic_category(), "pipe");
  }
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_ = fork();
  if (pid_ < 0) {
    int e = errno;
    for (int fd : {go[0], go[1], err[0], err[1]}) close(fd);
    throw std::system_error(e, std::generic_category(), "fork");
  }
  if (pid_ == 0) {
    // only async-signal-safe calls from here to exec
    close(go[1]);
    close(err[0]);
    char c;
    ssize_t n;
    while ((n = read(go[0], &c, 1)) < 0 && errno == EINTR) {
    }
    if (n != 0) _exit(127);  // the tracer gave up (it closes without writing only on success)
    sigprocmask(SIG_SETMASK, &child_mask, nullptr);
    execvp(args[0], args.data());
    int e = errno;
    (void)!write(err[1], &e, sizeof(e));
    _exit(127);
  }
  close(go[0]);
  close(err[1]);
  go_fd_ = go[1];
  err_fd_ = err[0];
}

TracedCommand::~TracedCommand() {
  if (go_fd_ >= 0) {
    // never released: tell the child to give up instead of exec'ing untraced
    char c = 'x';
    (void)!write(go_fd_, &c, 1);
    close(go_fd_);
  }
  if (err_fd_ >= 0) close(err_fd_);
  if (pid_ > 0 && !status_) {
    kill(pid_, SIGKILL);
    int st;
    while (waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
    }
  }
}

void TracedCommand::release() {
  close(go_fd_);
  go_fd_ = -1;
  int e = 0;
  ssize_t n;
  while ((n = read(err_fd_, &e, sizeof(e))) < 0 && errno == EINTR) {
  }
  close(err_fd_);
  err_fd_ = -1;
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
