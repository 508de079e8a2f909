// Workload for the live-trace guest tests (tests/live/live_guest.sh): a loopback listener on
// PORT and COUNT connect()+close() to it, optionally from a forked child as well (on PORT+1),
// optionally in a private network namespace, after waiting for a go-file, with one bind()
// that fails with EADDRINUSE. Prints what the checker needs to know ("pid N", "netns N").
// --hold FILE instead keeps one bucket in each state until FILE exists (for `tristate state`):
// a listener on PORT (bind() without options), a socket bound to PORT+1 with SO_REUSEADDR and
// then connected, and a socket connected unbound (ephemeral port), both to the listener;
// prints "listen P", "reuse P", "connect P", "held". (A socket only bound is in no table the
// state iterator walks: the SO_REUSEADDR one is connected to be seen.)
//   live_load [--fork] [--netns] [--fail-bind] [--wait FILE] [--hold FILE] [--seconds S] [--exit N] PORT COUNT
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

namespace {

[[noreturn]] void die(const char* what) {
  std::perror(what);
  std::exit(99);
}

sockaddr_in loopback(int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  return a;
}

void lo_up() {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  ifreq ifr{};
  std::strcpy(ifr.ifr_name, "lo");
  if (ioctl(fd, SIOCGIFFLAGS, &ifr)) die("SIOCGIFFLAGS");
  ifr.ifr_flags |= IFF_UP;
  if (ioctl(fd, SIOCSIFFLAGS, &ifr)) die("SIOCSIFFLAGS");
  close(fd);
}

// COUNT connections (or as many as fit in `seconds`) to a listener of our own on PORT.
long work(int port, long count, double seconds, bool fail_bind) {
  int l = socket(AF_INET, SOCK_STREAM, 0);
  auto srv = loopback(port);
  if (bind(l, reinterpret_cast<sockaddr*>(&srv), sizeof(srv)) || listen(l, 1024)) die("listener");
  if (fail_bind) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (bind(s, reinterpret_cast<sockaddr*>(&srv), sizeof(srv)) == 0 || errno != EADDRINUSE) {
      std::fprintf(stderr, "second bind() on %d did not fail with EADDRINUSE\n", port);
      std::exit(98);
    }
    close(s);
  }
  linger lg{1, 0};  // RST on close: no TIME_WAIT left behind to expire during another test
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  long n = 0;
  for (; seconds > 0 ? std::chrono::steady_clock::now() < end : n < count; ++n) {
    int c = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    if (connect(c, reinterpret_cast<sockaddr*>(&srv), sizeof(srv))) die("connect");
    int s = accept(l, nullptr, nullptr);
    if (s < 0) die("accept");
    setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    close(c);
    close(s);
  }
  close(l);
  return n;
}

std::uint16_t local_port(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof(a);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len)) die("getsockname");
  return ntohs(a.sin_port);
}

void hold(int port, const std::string& release) {
  int l = socket(AF_INET, SOCK_STREAM, 0);
  auto srv = loopback(port);
  if (bind(l, reinterpret_cast<sockaddr*>(&srv), sizeof(srv)) || listen(l, 16)) die("listener");
  int r = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(r, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  auto reuse = loopback(port + 1);
  if (bind(r, reinterpret_cast<sockaddr*>(&reuse), sizeof(reuse))) die("bind SO_REUSEADDR");
  if (connect(r, reinterpret_cast<sockaddr*>(&srv), sizeof(srv))) die("connect SO_REUSEADDR");
  int c = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(c, reinterpret_cast<sockaddr*>(&srv), sizeof(srv))) die("connect");
  int s1 = accept(l, nullptr, nullptr), s2 = accept(l, nullptr, nullptr);
  if (s1 < 0 || s2 < 0) die("accept");
  std::printf("listen %d\nreuse %d\nconnect %u\nheld\n", port, port + 1, local_port(c));
  std::fflush(stdout);
  while (access(release.c_str(), F_OK) != 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  for (int fd : {s1, s2, c, r, l}) close(fd);
}

}  // namespace

int main(int argc, char** argv) {
  bool fork_child = false, netns = false, fail_bind = false;
  std::string wait, hold_until;
  double seconds = 0;
  int exit_code = 0;
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; ++i) {
    std::string a = argv[i];
    if (a == "--fork") fork_child = true;
    else if (a == "--netns") netns = true;
    else if (a == "--fail-bind") fail_bind = true;
    else if (a == "--wait" && i + 1 < argc) wait = argv[++i];
    else if (a == "--hold" && i + 1 < argc) hold_until = argv[++i];
    else if (a == "--seconds" && i + 1 < argc) seconds = std::atof(argv[++i]);
    else if (a == "--exit" && i + 1 < argc) exit_code = std::atoi(argv[++i]);
    else {
      std::fprintf(stderr, "live_load: unknown option %s\n", argv[i]);
      return 2;
    }
  }
  if (argc - i != 2) {
    std::fprintf(stderr, "usage: live_load [--fork] [--netns] [--fail-bind] [--wait FILE] [--hold FILE] [--seconds S] [--exit N] PORT COUNT\n");
    return 2;
  }
  const int port = std::atoi(argv[i]);
  const long count = std::atol(argv[i + 1]);
  if (netns) {
    if (unshare(CLONE_NEWNET)) die("unshare(CLONE_NEWNET)");
    lo_up();
  }
  struct stat st {};
  stat("/proc/self/ns/net", &st);
  std::printf("pid %d\nnetns %llu\n", getpid(), static_cast<unsigned long long>(st.st_ino));
  std::fflush(stdout);
  while (!wait.empty() && access(wait.c_str(), F_OK) != 0)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  if (!hold_until.empty()) {
    hold(port, hold_until);
    return exit_code;
  }
  pid_t child = -1;
  if (fork_child) {
    child = fork();
    if (child == 0) {
      std::printf("child %d\n", getpid());
      std::fflush(stdout);
      work(port + 1, count, seconds, false);
      _exit(0);
    }
  }
  long n = work(port, count, seconds, fail_bind);
  if (child > 0) {
    int wst = 0;
    waitpid(child, &wst, 0);
    if (!WIFEXITED(wst) || WEXITSTATUS(wst) != 0) return 97;
  }
  std::printf("connections %ld\n", n);
  return exit_code;
}
