#include "lab/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace tristate::lab {
namespace {

// Both ends close-on-exec: a child started meanwhile by another thread must not hold a
// write end open, or our reader would never see EOF.
void make_pipe(util::UniqueFd& rd, util::UniqueFd& wr) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) throw std::runtime_error("pipe: " + std::string(std::strerror(errno)));
  rd.reset(p[0]);
  wr.reset(p[1]);
}

}  // namespace

ToolResult run_tool(const std::vector<std::string>& argv, const std::string& cwd) {
  util::UniqueFd out_rd, out_wr, err_rd, err_wr;
  make_pipe(out_rd, out_wr);
  make_pipe(err_rd, err_wr);
  util::ChildOptions opts;
  opts.out = util::ChildStream::to(out_wr.get());
  opts.err = util::ChildStream::to(err_wr.get());
  opts.cwd = cwd;
  auto child = util::ChildProcess::exec(argv, opts);
  if (!child) throw std::runtime_error(child.error().message);
  out_wr.reset();
  err_wr.reset();
  ToolResult r;
  pollfd fds[2] = {{out_rd.get(), POLLIN, 0}, {err_rd.get(), POLLIN, 0}};
  int open_fds = 2;
  char buf[65536];
  while (open_fds > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        (i == 0 ? r.out : r.err).append(buf, std::size_t(n));
      } else if (n == 0 || errno != EINTR) {
        fds[i].fd = -1;  // the UniqueFd closes it
        --open_fds;
      }
    }
  }
  r.status = child.value().wait();
  return r;
}

bool have_program(const std::string& name) {
  const char* path = getenv("PATH");
  std::string p = path ? path : "/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= p.size()) {
    std::size_t end = p.find(':', start);
    if (end == std::string::npos) end = p.size();
    std::string cand = p.substr(start, end - start) + "/" + name;
    if (access(cand.c_str(), X_OK) == 0) return true;
    start = end + 1;
  }
  return false;
}

Child Child::spawn(const std::vector<std::string>& argv) {
  util::UniqueFd rd, wr;
  make_pipe(rd, wr);
  util::ChildOptions opts;
  opts.out = opts.err = util::ChildStream::to(wr.get());
  opts.die_with_parent = true;
  opts.own_process_group = true;
  auto child = util::ChildProcess::exec(argv, opts);
  if (!child) throw std::runtime_error(child.error().message);
  return Child(std::move(child.value()), std::move(rd));
}

}  // namespace tristate::lab
