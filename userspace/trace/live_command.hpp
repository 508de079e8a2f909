// `tristate trace -- CMD ARGS…`: the command runs in a child that waits on a pipe until the
// tracer has attached and added the child to its follow set (the readiness point), so that
// not one of its events is missed and no other process's event is taken.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "util/child_process.hpp"
#include "util/result.hpp"
#include "util/unique_fd.hpp"

namespace tristate::trace {

class TracedCommand {
 public:
  // Forks; the child restores `child_mask` (the caller may block signals it handles itself)
  // and waits before exec.
  static util::Result<TracedCommand> start(const std::vector<std::string>& argv, const sigset_t& child_mask);
  ~TracedCommand();  // a command never released is told to give up; a running one is killed and reaped
  TracedCommand(TracedCommand&&) = default;
  TracedCommand& operator=(TracedCommand&&) = delete;
  TracedCommand(const TracedCommand&) = delete;
  TracedCommand& operator=(const TracedCommand&) = delete;

  pid_t pid() const { return pid_; }
  // Lets the child exec. An error ("cannot run 'x': …") when exec failed.
  util::Result<void> release();
  // The exit status once the child has ended (128+N when killed by signal N), else nullopt.
  std::optional<int> try_wait();
  void signal(int sig) const;

 private:
  TracedCommand(util::ChildProcess child, util::UniqueFd go, util::UniqueFd err, std::string name);

  util::ChildProcess child_;
  pid_t pid_;
  util::UniqueFd go_fd_;   // write end: closing it releases the child
  util::UniqueFd err_fd_;  // read end: the child's exec errno, EOF on successful exec
  std::string name_;
};

}  // namespace tristate::trace
