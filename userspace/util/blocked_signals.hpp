// Signals taken synchronously: blocked for the owner's lifetime and read with sigtimedwait
// between units of work, so that an output line is never cut by a handler and everything the
// command holds (BPF links, a traced child) is released by destructors on the way out.
#pragma once

#include <signal.h>
#include <time.h>

#include <chrono>
#include <initializer_list>

namespace tristate::util {

class BlockedSignals {
 public:
  explicit BlockedSignals(std::initializer_list<int> signals = {SIGINT, SIGTERM, SIGCHLD, SIGPIPE}) {
    sigemptyset(&set_);
    for (int s : signals) sigaddset(&set_, s);
    sigprocmask(SIG_BLOCK, &set_, &old_);
  }
  ~BlockedSignals() {
    // a blocked SIGPIPE or SIGCHLD left pending must not fire after the mask is restored
    timespec zero{};
    while (sigtimedwait(&set_, nullptr, &zero) > 0) {
    }
    sigprocmask(SIG_SETMASK, &old_, nullptr);
  }
  BlockedSignals(const BlockedSignals&) = delete;
  BlockedSignals& operator=(const BlockedSignals&) = delete;

  // The mask before: what a child should get back before exec.
  const sigset_t& old() const { return old_; }
  // The next pending signal, 0 if none.
  int take() { return wait(std::chrono::nanoseconds(0)); }
  // The next signal within `timeout`, 0 if none came.
  int wait(std::chrono::nanoseconds timeout) {
    if (timeout.count() < 0) timeout = std::chrono::nanoseconds(0);
    timespec t{static_cast<time_t>(timeout.count() / 1000000000), static_cast<long>(timeout.count() % 1000000000)};
    int s = sigtimedwait(&set_, nullptr, &t);
    return s > 0 ? s : 0;
  }

 private:
  sigset_t set_, old_;
};

}  // namespace tristate::util
