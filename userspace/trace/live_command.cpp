#include "trace/live_command.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace tristate::trace {

util::Result<TracedCommand> TracedCommand::start(const std::vector<std::string>& argv, const sigset_t& child_mask) {
  if (argv.empty()) return util::Error{"no command given after --"};
  int go_ends[2], err_ends[2];
  if (pipe2(go_ends, O_CLOEXEC) != 0) return util::Error{std::string("pipe: ") + std::strerror(errno)};
  util::UniqueFd go_read(go_ends[0]), go_write(go_ends[1]);
  if (pipe2(err_ends, O_CLOEXEC) != 0) return util::Error{std::string("pipe: ") + std::strerror(errno)};
  util::UniqueFd err_read(err_ends[0]), err_write(err_ends[1]);
  std::vector<char*> args;  // built before fork
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  util::ChildOptions opts;
  opts.in = util::ChildStream::inherit();  // the command reads the terminal or pipe tristate has
  auto child = util::ChildProcess::call(
      [&]() -> int {
        // only async-signal-safe calls from here to exec (UniqueFd::reset is a close())
        go_write.reset();
        err_read.reset();
        char c;
        ssize_t n;
        while ((n = read(go_read.get(), &c, 1)) < 0 && errno == EINTR) {
        }
        if (n != 0) return 127;  // the tracer gave up (it closes without writing only on success)
        sigprocmask(SIG_SETMASK, &child_mask, nullptr);
        execvp(args[0], args.data());
        const int e = errno;
        (void)!write(err_write.get(), &e, sizeof(e));
        return 127;
      },
      opts);
  if (!child) return child.error();
  return TracedCommand(std::move(child.value()), std::move(go_write), std::move(err_read), argv[0]);
}

TracedCommand::TracedCommand(util::ChildProcess child, util::UniqueFd go, util::UniqueFd err, std::string name)
    : child_(std::move(child)), pid_(child_.pid()), go_fd_(std::move(go)), err_fd_(std::move(err)), name_(std::move(name)) {}

TracedCommand::~TracedCommand() {
  if (go_fd_) {
    // never released: tell the child to give up instead of exec'ing untraced
    char c = 'x';
    (void)!write(go_fd_.get(), &c, 1);
  }
  // then child_ kills and reaps a command still running
}

util::Result<void> TracedCommand::release() {
  go_fd_.reset();
  int e = 0;
  ssize_t n;
  while ((n = read(err_fd_.get(), &e, sizeof(e))) < 0 && errno == EINTR) {
  }
  err_fd_.reset();
  if (n == sizeof(e)) {
    try_wait();
    return util::Error{"cannot run '" + name_ + "': " + std::strerror(e)};
  }
  return {};
}

std::optional<int> TracedCommand::try_wait() { return child_.try_wait(); }

void TracedCommand::signal(int sig) const {
  if (!child_.reaped()) kill(child_.pid(), sig);
}

}  // namespace tristate::trace
