#include "lab/process.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <stdexcept>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace tristate::lab {
namespace {

std::vector<char*> c_argv(const std::vector<std::string>& argv) {
  std::vector<char*> v;
  for (auto& a : argv) v.push_back(const_cast<char*>(a.c_str()));
  v.push_back(nullptr);
  return v;
}

int decode_status(int st) {
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
  return -1;
}

// Forks and execs; in the child stdin is /dev/null, stdout -> out_fd, stderr -> err_fd.
// Reports exec failure through a close-on-exec pipe so the parent can name the program.
pid_t fork_exec(const std::vector<std::string>& argv, int out_fd, int err_fd, bool pdeathsig,
                const std::string& cwd) {
  if (argv.empty()) throw std::runtime_error("run: empty command");
  int errpipe[2];
  if (pipe2(errpipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe: " + std::string(strerror(errno)));
  auto args = c_argv(argv);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    close(errpipe[0]);
    close(errpipe[1]);
    throw std::runtime_error("fork: " + std::string(strerror(errno)));
  }
  if (pid == 0) {
    if (pdeathsig) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(127);  // parent already gone
      setpgid(0, 0);
    }
    int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    if (!cwd.empty() && chdir(cwd.c_str()) != 0) {
      int e = errno;
      (void)!write(errpipe[1], &e, sizeof e);
      _exit(127);
    }
    execvp(args[0], args.data());
    int e = errno;
    (void)!write(errpipe[1], &e, sizeof e);
    _exit(127);
  }
  close(errpipe[1]);
  int e = 0;
  ssize_t n;
  do n = read(errpipe[0], &e, sizeof e); while (n < 0 && errno == EINTR);
  close(errpipe[0]);
  if (n == sizeof e) {
    int st;
    waitpid(pid, &st, 0);
    throw std::runtime_error("cannot run " + argv[0] + ": " + strerror(e));
  }
  return pid;
}

}  // namespace

ToolResult run_tool(const std::vector<std::string>& argv, const std::string& cwd) {
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  if (pipe2(err, O_CLOEXEC) != 0) {
    close(out[0]);
    close(out[1]);
    throw std::runtime_error("pipe failed");
  }
  pid_t pid;
  try {
    pid = fork_exec(argv, out[1], err[1], false, cwd);
  } catch (...) {
    close(out[0]); close(out[1]); close(err[0]); close(err[1]);
    throw;
  }
  close(out[1]);
  close(err[1]);
  ToolResult r;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
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
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  int st;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
  r.status = decode_status(st);
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
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  pid_t pid;
  try {
    pid = fork_exec(argv, p[1], p[1], true, "");
  } catch (...) {
    close(p[0]);
    close(p[1]);
    throw;
  }
  close(p[1]);
  return Child(pid, p[0]);
}

Child::Child(Child&& o) noexcept : pid_(o.pid_), fd_(o.fd_), status_(o.status_) {
  o.pid_ = -1;
  o.fd_ = -1;
}

int Child::kill_and_wait() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    return wait();
  }
  return status_;
}

int Child::wait() {
  if (pid_ > 0) {
    int st;
    while (waitpid(pid_, &st, 0) < 0 && errno == EINTR) {}
    status_ = decode_status(st);
    pid_ = -1;
  }
  return status_;
}

Child::~Child() {
  kill_and_wait();
  if (fd_ >= 0) close(fd_);
}

}  // namespace tristate::lab
