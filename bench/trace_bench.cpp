// Tracer overhead: a bind()/connect()/close() loop on loopback in a private network namespace,
// measured in one run without tracer, with tristate in fentry and in kprobe mode, and with
// bcc's libbpf-tools bindsnoop (kprobe on inet_bind) when its path is given. The loop binds
// explicitly (port 0) so that bindsnoop has something to see; tristate sees bind and connect.
// Needs a traceable kernel: run inside a lab guest, e.g.
//   tristate kernels boot 6.12 --no-self --exe build/bench/trace_bench --exe /path/bindsnoop
//     -- sh -c "trace_bench --bindsnoop /usr/bin/bindsnoop > /tmp/result 2>&1"
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <vector>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "trace/tracer.hpp"

using namespace tristate;
using Clock = std::chrono::steady_clock;

namespace {

std::uint64_t netns_inode() {
  struct stat st {};
  return stat("/proc/self/ns/net", &st) == 0 ? st.st_ino : 0;
}

bool lo_up() {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  ifreq ifr{};
  std::strcpy(ifr.ifr_name, "lo");
  bool ok = ioctl(fd, SIOCGIFFLAGS, &ifr) == 0;
  ifr.ifr_flags |= IFF_UP;
  ok = ok && ioctl(fd, SIOCSIFFLAGS, &ifr) == 0;
  close(fd);
  return ok;
}

// Connections per second over `seconds`; `tick` runs every 64 iterations (ring drain).
template <typename Tick>
double loop(double seconds, Tick tick) {
  int l = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in srv{};
  srv.sin_family = AF_INET;
  srv.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  srv.sin_port = htons(5555);
  if (bind(l, reinterpret_cast<sockaddr*>(&srv), sizeof(srv)) || listen(l, 4096)) {
    std::perror("listener");
    std::exit(2);
  }
  sockaddr_in any{};
  any.sin_family = AF_INET;
  any.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  linger lg{1, 0};  // RST on close: no TIME_WAIT, the port range never runs dry
  long n = 0;
  auto t0 = Clock::now();
  auto end = t0 + std::chrono::duration<double>(seconds);
  while (Clock::now() < end) {
    for (int i = 0; i < 64; ++i, ++n) {
      int c = socket(AF_INET, SOCK_STREAM, 0);
      setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
      if (bind(c, reinterpret_cast<sockaddr*>(&any), sizeof(any)) ||
          connect(c, reinterpret_cast<sockaddr*>(&srv), sizeof(srv))) {
        std::perror("client");
        std::exit(2);
      }
      int s = accept(l, nullptr, nullptr);
      setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
      close(s);
      close(c);
    }
    tick();
  }
  double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  close(l);
  return static_cast<double>(n) / secs;
}

double with_tracer(bool kprobe, double seconds, std::string& mode, std::uint64_t& events, std::uint64_t& lost) {
  trace::Options o;
  o.force_kprobe = kprobe;
  auto made = trace::Tracer::make(o);
  if (!made) {
    std::fprintf(stderr, "tracer: %s\n", made.error().message.c_str());
    return 0;
  }
  auto& t = *made.value();
  t.watch_netns(netns_inode());
  double r = loop(seconds, [&] { events += t.drain().size(); });
  events += t.drain().size();
  auto info = t.info();
  mode = info.mode;
  lost = info.lost;
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 3;
  std::string bindsnoop;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--seconds" && i + 1 < argc) seconds = std::atof(argv[++i]);
    else if (a == "--bindsnoop" && i + 1 < argc) bindsnoop = argv[++i];
  }
  if (unshare(CLONE_NEWNET) != 0 || !lo_up()) {
    std::perror("private network namespace");
    return 2;
  }
  loop(0.5, [] {});  // warm-up
  // Variants interleaved over rounds and the median kept: a TCG guest's speed drifts.
  const int rounds = 3;
  std::vector<double> vb, vf, vk, vs;
  std::string mf, mk, snoop_error;
  std::uint64_t ef = 0, lf = 0, ek = 0, lk = 0;
  for (int r = 0; r < rounds; ++r) {
    vb.push_back(loop(seconds, [] {}));
    vf.push_back(with_tracer(false, seconds, mf, ef, lf));
    vk.push_back(with_tracer(true, seconds, mk, ek, lk));
    if (bindsnoop.empty() || !snoop_error.empty()) continue;
    pid_t pid = fork();
    if (pid == 0) {
      int null = open("/dev/null", O_WRONLY);
      dup2(null, 1);
      dup2(null, 2);
      execl(bindsnoop.c_str(), "bindsnoop", static_cast<char*>(nullptr));
      _exit(127);
    }
    std::this_thread::sleep_for(std::chrono::seconds(3));  // let it load and attach
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      snoop_error = "bindsnoop exited before the measurement (status " + std::to_string(WEXITSTATUS(status)) +
                    "): it does not load on this kernel";
      continue;
    }
    vs.push_back(loop(seconds, [] {}));
    kill(pid, SIGINT);
    waitpid(pid, nullptr, 0);
  }
  auto median = [](std::vector<double> v) {
    if (v.empty()) return 0.0;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  double base = median(vb), fentry = median(vf), kprobe = median(vk), snoop = median(vs);
  auto pct = [&](double v) { return v > 0 ? 100.0 * (base - v) / base : 0.0; };
  std::printf("trace_bench: bind+connect+close loop, median of %d rounds x %.1f s per variant, same boot\n", rounds, seconds);
  std::printf("  no tracer          %10.0f conn/s\n", base);
  std::printf("  tristate %-8s   %10.0f conn/s  cost %5.1f %%  (%llu events, %llu lost)\n", mf.c_str(), fentry,
              pct(fentry), static_cast<unsigned long long>(ef), static_cast<unsigned long long>(lf));
  std::printf("  tristate %-8s   %10.0f conn/s  cost %5.1f %%  (%llu events, %llu lost)\n", mk.c_str(), kprobe,
              pct(kprobe), static_cast<unsigned long long>(ek), static_cast<unsigned long long>(lk));
  if (!snoop_error.empty())
    std::printf("  bindsnoop          not measured: %s\n", snoop_error.c_str());
  else if (!bindsnoop.empty())
    std::printf("  bindsnoop          %10.0f conn/s  cost %5.1f %%\n", snoop, pct(snoop));
  else
    std::printf("  bindsnoop          not run (--bindsnoop PATH)\n");
  if (snoop > 0 && fentry > 0)
    std::printf("  ratio tristate-fentry/bindsnoop throughput: %.3f\n", fentry / snoop);
  return 0;
}
