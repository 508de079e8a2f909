// `tristate ports` on a namespace holding many sockets: whole-process time (median
// of N runs) and max RSS of `tristate ports --dest …`, printed beside `ss -tan | wc -l` measured
// in the same run. Targets: <= 300 ms and <= 200 MB for 50,000 sockets.
//   ports_bench TRISTATE [-n ROUNDS] [--sockets N]     (root: a private namespace, BPF iterators)
// The namespace: ip_local_port_range 10000-65000, a listener on 127.0.0.1:5000, N/2 loopback
// connections (both ends held: N sockets), one in five bind(127.0.0.1:0)-then-connect() so
// that blocked ports and their holder are there to be found.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "bench_util.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct Run {
  double ms = 0;
  long max_rss_kb = 0;
  int status = -1;
};

// fork + exec argv with stdout to `out` (a file) and stderr to /dev/null; wall time and the
// child's peak RSS from wait4.
Run run(const std::vector<std::string>& argv, const char* out) {
  const auto t0 = Clock::now();
  const pid_t pid = fork();
  if (pid == 0) {
    const int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600), n = open("/dev/null", O_WRONLY);
    dup2(o, 1);
    dup2(n, 2);
    std::vector<char*> a;
    for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    execvp(a[0], a.data());
    _exit(127);
  }
  Run r;
  rusage ru{};
  wait4(pid, &r.status, 0, &ru);
  r.ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  r.max_rss_kb = ru.ru_maxrss;
  return r;
}

std::string first_line(const char* path) {
  std::ifstream in(path);
  std::string l;
  std::getline(in, l);
  return l;
}

void die(const char* what) {
  std::perror(what);
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: ports_bench TRISTATE [-n ROUNDS] [--sockets N]\n");
    return 2;
  }
  const std::string tristate = argv[1];
  int rounds = 7, sockets = 50000;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "-n")) rounds = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--sockets")) sockets = std::atoi(argv[i + 1]);
  }
  if (rounds < 1 || sockets < 2) return 2;
  // a private namespace: the sysctl below is its own, never the host's
  if (unshare(CLONE_NEWNET) != 0) die("unshare(CLONE_NEWNET) (needs root)");
  if (std::system("ip link set lo up") != 0) return 2;
  {
    std::ofstream r("/proc/sys/net/ipv4/ip_local_port_range");
    r << "10000 65000";
  }
  sockaddr_in srv{};
  srv.sin_family = AF_INET;
  srv.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  srv.sin_port = htons(5000);
  const int ln = socket(AF_INET, SOCK_STREAM, 0);
  if (bind(ln, reinterpret_cast<sockaddr*>(&srv), sizeof srv) || listen(ln, 4096)) die("listener");
  // RLIMIT_NOFILE's hard limit (20,000 here) cannot be raised without CAP_SYS_RESOURCE: the
  // sockets are spread over worker processes, each raising its soft limit to the hard one, one
  // after the other (each accept() then returns the worker's own connection)
  rlimit lim{};
  getrlimit(RLIMIT_NOFILE, &lim);
  lim.rlim_cur = lim.rlim_max;
  setrlimit(RLIMIT_NOFILE, &lim);
  const int per_worker = static_cast<int>(std::min<rlim_t>(lim.rlim_max > 1024 ? lim.rlim_max - 512 : 512, 16000)) & ~1;
  std::vector<pid_t> workers;
  const auto t_setup = Clock::now();
  int made = 0, bound = 0;
  while (made < sockets) {
    const int n = std::min(per_worker, sockets - made);
    const int b = (n / 2 + 4) / 5;  // one connection in five binds first
    int ready[2];
    if (pipe(ready) != 0) die("pipe");
    const pid_t pid = fork();
    if (pid == 0) {
      close(ready[0]);
      sockaddr_in any = srv;
      any.sin_port = 0;
      std::vector<int> fds;
      for (int i = 0; i < n / 2; ++i) {
        const int c = socket(AF_INET, SOCK_STREAM, 0);
        if (c < 0) die("socket");
        if (i % 5 == 0 && bind(c, reinterpret_cast<sockaddr*>(&any), sizeof any)) die("bind");
        if (connect(c, reinterpret_cast<sockaddr*>(&srv), sizeof srv)) die("connect");
        const int s = accept(ln, nullptr, nullptr);
        if (s < 0) die("accept");
        fds.push_back(c);
        fds.push_back(s);
      }
      if (write(ready[1], "1", 1) != 1) _exit(2);
      pause();
      _exit(0);
    }
    close(ready[1]);
    char c = 0;
    if (read(ready[0], &c, 1) != 1) {
      std::fprintf(stderr, "a worker failed while making its sockets\n");
      return 2;
    }
    close(ready[0]);
    workers.push_back(pid);
    made += n / 2 * 2;
    bound += b;
  }
  const double setup_s = std::chrono::duration<double>(Clock::now() - t_setup).count();
  std::printf("namespace: %d sockets in %zu processes (%d connections, %d of them bind(0)-then-connect), "
              "ip_local_port_range 10000-65000; built in %.1f s; load %s\n",
              made, workers.size(), made / 2, bound, setup_s, tristate::bench::loadavg().c_str());
  const char* out = "/tmp/ports_bench.out";
  const std::vector<std::string> ports{tristate, "ports", "--dest", "127.0.0.1:5000"};
  const std::vector<std::string> ss{"sh", "-c", "ss -tan | wc -l"};
  std::vector<double> t_ports, t_ss;
  long rss = 0;
  std::string verdict, ss_lines;
  for (int r = 0; r < rounds; ++r) {  // rotated: machine noise hits both alike
    const Run p = run(ports, out);
    if (!WIFEXITED(p.status) || WEXITSTATUS(p.status) != 0) {
      std::fprintf(stderr, "tristate ports failed (status %d): run it by hand for the message\n", p.status);
      return 2;
    }
    verdict = first_line(out);
    t_ports.push_back(p.ms);
    rss = std::max(rss, p.max_rss_kb);
    const Run s = run(ss, out);
    t_ss.push_back(s.ms);
    ss_lines = first_line(out);
  }
  const double med = tristate::bench::median(t_ports), med_ss = tristate::bench::median(t_ss);
  std::printf("verdict: %s\n", verdict.c_str());
  std::printf("tristate ports --dest 127.0.0.1:5000: median %.0f ms whole process (min %.0f, max %.0f, %d runs), "
              "max RSS %.1f MB\n",
              med, *std::min_element(t_ports.begin(), t_ports.end()), *std::max_element(t_ports.begin(), t_ports.end()),
              rounds, rss / 1024.0);
  std::printf("ss -tan | wc -l: median %.0f ms (%s lines)\n", med_ss, ss_lines.c_str());
  std::printf("ratio tristate ports / ss: %.2fx; targets <= 300 ms: %s, <= 200 MB: %s\n", med / med_ss,
              med <= 300 ? "met" : "NOT met", rss / 1024.0 <= 200 ? "met" : "NOT met");
  std::remove(out);
  for (pid_t w : workers) kill(w, SIGKILL);
  for (pid_t w : workers) waitpid(w, nullptr, 0);
  return 0;
}
