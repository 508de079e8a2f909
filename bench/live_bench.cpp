// `tristate trace` under load: a bind()+connect()+close() loop on loopback as fast as
// the machine goes, measured in one run with no tracer, with `tristate trace` (batched
// wakeups, the default, and one wakeup per event), and with libbpf-tools' bindsnoop. Prints
// the loop rate of each, the tracer's events, losses and CPU time per event (getrusage of the
// tracer process), and the overhead ratios. Needs a traceable kernel: run it in a lab guest:
//   tristate kernels boot 6.12 --exe build/bench/live_bench --exe /usr/sbin/bindsnoop --
//     sh -c 'live_bench --seconds 5 --bindsnoop /usr/bin/bindsnoop > /tmp/result 2>&1'
// The loop binds port 0 explicitly so that bindsnoop (a kprobe on inet_bind) sees each socket.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.hpp"

using namespace tristate;

namespace {

pid_t spawn(const std::vector<std::string>& argv, const std::string& out) {
  std::fflush(stdout);  // or the child repeats what is still buffered
  pid_t p = fork();
  if (p == 0) {
    FILE* f = std::freopen(out.c_str(), "w", stdout);
    (void)f;
    std::vector<char*> a;
    for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    execvp(a[0], a.data());
    std::perror(a[0]);
    _exit(127);
  }
  return p;
}

double child_cpu_s() {
  rusage ru{};
  getrusage(RUSAGE_CHILDREN, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

struct Run {
  double rate = 0;
  double cpu_s = 0;
  long events = -1;
  long lost = -1;
};

// Starts a tracer, waits until it is ready, runs the loop, stops the tracer with SIGINT.
Run traced(const std::vector<std::string>& argv, const std::string& ready, double seconds, const std::string& out) {
  unlink(ready.c_str());
  const double cpu0 = child_cpu_s();
  pid_t p = spawn(argv, out);
  for (int i = 0; i < 600 && (ready.empty() ? i < 40 : access(ready.c_str(), F_OK) != 0); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  Run r;
  r.rate = bench::connection_loop(seconds, 5556);
  kill(p, SIGINT);
  int st = 0;
  waitpid(p, &st, 0);
  r.cpu_s = child_cpu_s() - cpu0;
  std::ifstream in(out);
  std::string line;
  while (std::getline(in, line))
    if (std::sscanf(line.c_str(), "summary: %ld events in %*f s, %ld lost", &r.events, &r.lost) == 2) break;
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 5;
  std::string tristate = "tristate", bindsnoop;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--seconds") seconds = std::atof(argv[i + 1]);
    else if (a == "--tristate") tristate = argv[i + 1];
    else if (a == "--bindsnoop") bindsnoop = argv[i + 1];
  }
  std::printf("live_bench: bind(0)+connect()+close() on loopback, %.1f s per run, one run each\n", seconds);
  const double base = bench::connection_loop(seconds, 5556);
  std::printf("no tracer:                %10.0f conn/s\n", base);
  auto show = [&](const char* name, const Run& r) {
    std::printf("%-25s %10.0f conn/s  overhead %5.1f %%", name, r.rate, 100.0 * (1 - r.rate / base));
    if (r.events >= 0)
      std::printf("  events %ld lost %ld  tracer CPU %.3f s = %.2f us/event", r.events, r.lost, r.cpu_s,
                  r.events ? 1e6 * r.cpu_s / r.events : 0.0);
    else
      std::printf("  tracer CPU %.3f s", r.cpu_s);
    std::printf("\n");
    std::fflush(stdout);
  };
  auto batched = traced({tristate, "trace", "-q", "--ready-file", "/tmp/lb_ready"}, "/tmp/lb_ready", seconds, "/tmp/lb_batched.txt");
  show("tristate trace (batched):", batched);
  auto per_event = traced({tristate, "trace", "-q", "--wakeup-per-event", "--ready-file", "/tmp/lb_ready"}, "/tmp/lb_ready",
                          seconds, "/tmp/lb_per_event.txt");
  show("tristate trace (per-event wakeup):", per_event);
  Run snoop;
  if (!bindsnoop.empty()) {
    snoop = traced({bindsnoop}, "", seconds, "/tmp/lb_bindsnoop.txt");
    show("bindsnoop:", snoop);
  }
  std::printf("ratios: tristate/no-tracer %.3f", batched.rate / base);
  if (snoop.rate > 0) std::printf("  tristate/bindsnoop %.3f  bindsnoop/no-tracer %.3f", batched.rate / snoop.rate, snoop.rate / base);
  std::printf("  batched/per-event CPU per event %.3f\n",
              (batched.events > 0 && per_event.events > 0 && per_event.cpu_s > 0)
                  ? (batched.cpu_s / batched.events) / (per_event.cpu_s / per_event.events)
                  : 0.0);
  return 0;
}
