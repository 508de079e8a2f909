// Bucket state snapshots: what they cost, measured against the same work without
// them in the same run.
//  1. One snapshot (both iterators created and read) in a private namespace holding a quiz's
//     worth of sockets: microseconds per snapshot.
//  2. The whole quiz suite on this kernel, untraced, with a snapshot after every step vs none
//     (--no-state's baseline), the two rotated round by round; medians and the ratio
//     (target <= 1.3x).
// Exit 1 when a quiz does not come out as expected or a snapshot fails, 2 on bad usage or
// when the iterators cannot be loaded here (the line says why).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "quiz/quiz_parser.hpp"
#include "quiz/quiz_runner.hpp"
#include "trace/step_snapshot.hpp"
#include "util/child_process.hpp"

namespace {

using Clock = std::chrono::steady_clock;

// CPU time of this process and its reaped children (the quizzes' sandboxes), in ms: on a
// shared machine the wall time also measures the wait for a CPU, which moved the suite's
// ratio between 1.2 and 2.7 in consecutive runs.
double cpu_ms() {
  rusage self{}, kids{};
  getrusage(RUSAGE_SELF, &self);
  getrusage(RUSAGE_CHILDREN, &kids);
  auto ms = [](const timeval& t) { return t.tv_sec * 1e3 + t.tv_usec / 1e3; };
  return ms(self.ru_utime) + ms(self.ru_stime) + ms(kids.ru_utime) + ms(kids.ru_stime);
}

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  if (v.empty()) return 0;
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

// A listener, one connection to it and one bound-only socket, as post-3 holds: what a
// snapshot typically reads.
bool make_sockets(std::vector<int>& fds) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(1234);
  const int ln = socket(AF_INET, SOCK_STREAM, 0), c = socket(AF_INET, SOCK_STREAM, 0),
            b = socket(AF_INET, SOCK_STREAM, 0);
  fds = {ln, c, b};
  if (bind(ln, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(ln, 16) != 0) return false;
  if (connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return false;
  a.sin_port = htons(60000);
  return bind(b, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
}

}  // namespace

// 1. One snapshot's cost, in a namespace of its own holding a listener, a connection and a
// bound socket; then the two iterators apart. Returns an exit status (0: measured).
int bench_snapshots(tristate::trace::StepSnapshotter& snap, int snapshots) {
  // a thread would do; the bench is one process
  if (unshare(CLONE_NEWNET) != 0) {
    std::perror("state_bench: unshare(CLONE_NEWNET) (needs root)");
    return 2;
  }
  {
    tristate::util::ChildOptions quiet;
    quiet.err = tristate::util::ChildStream::dev_null();
    if (auto ip = tristate::util::ChildProcess::exec({"ip", "link", "set", "lo", "up"}, quiet)) ip.value().wait();
  }
  std::vector<int> fds;
  if (!make_sockets(fds)) {
    std::perror("state_bench: sockets");
    return 2;
  }
  tristate::quiz::SocketNames names;
  names.by_fd = {{fds[0], "ln"}, {fds[1], "s1"}, {fds[2], "s2"}};
  names.listener_port = {{1234, "ln"}};
  snap.child_started(512);
  std::size_t sockets_seen = 0;
  std::vector<double> per;
  for (int k = 0; k < 5; ++k) {
    const auto t0 = Clock::now();
    for (int i = 0; i < snapshots / 5; ++i) {
      auto st = snap.after_step(names);
      if (!st.taken) {
        std::fprintf(stderr, "state_bench: snapshot failed: %s\n", st.error.c_str());
        return 1;
      }
      sockets_seen = st.sockets.size();
    }
    per.push_back(ms_since(t0) * 1000.0 / (snapshots / 5));
  }
  // the two iterators apart: iter/tcp walks the whole (global) TCP hash tables, whatever the
  // namespace holds
  std::vector<double> task_us, tcp_us;
  std::vector<char> buf;
  for (int k = 0; k < 5; ++k) {
    auto t0 = Clock::now();
    for (int i = 0; i < snapshots / 5; ++i) {
      buf.clear();
      if (!snap.read_task_files(buf)) return 1;
    }
    task_us.push_back(ms_since(t0) * 1000.0 / (snapshots / 5));
    t0 = Clock::now();
    for (int i = 0; i < snapshots / 5; ++i) {
      buf.clear();
      if (!snap.read_tcp_tables(buf)) return 1;
    }
    tcp_us.push_back(ms_since(t0) * 1000.0 / (snapshots / 5));
  }
  std::printf("state bench (%s): one snapshot of %zu sockets: %.1f us (median of 5 x %d): "
              "iter/task_file %.1f us, iter/tcp %.1f us\n",
              tristate::trace::snapshot_method_name(snap.method()), sockets_seen, median(per), snapshots / 5,
              median(task_us), median(tcp_us));
  for (int fd : fds) close(fd);
  return 0;
}

// 2. The suite with and without snapshots, rotated. Returns an exit status (0: every quiz as
// expected and every step with its snapshot).
int bench_suite(tristate::trace::StepSnapshotter& snap, const std::string& dir, int rounds) {
  std::vector<tristate::quiz::Quiz> quizzes;
  try {
    for (const auto& p : tristate::quiz::resolve_quiz_paths({}, dir)) quizzes.push_back(tristate::quiz::load_quiz(p));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "state_bench: %s\n", e.what());
    return 2;
  }
  std::size_t steps = 0;
  for (const auto& q : quizzes) steps += q.steps.size();
  std::vector<double> with, without, with_cpu, without_cpu;
  bool ok = true;
  for (int round = 0; round < rounds; ++round) {
    for (int variant = 0; variant < 2; ++variant) {
      const bool on = (round + variant) % 2 == 0;  // alternate which goes first
      tristate::quiz::RunOptions opts;
      opts.step_probe = on ? &snap : nullptr;
      const auto t0 = Clock::now();
      const double c0 = cpu_ms();
      for (const auto& q : quizzes) {
        auto rep = tristate::quiz::run_quiz(q, opts);
        if (rep.status != tristate::report::QuizStatus::ok) {
          std::fprintf(stderr, "state_bench: %s: %s %s\n", q.name.c_str(), tristate::report::name(rep.status).data(), rep.error.c_str());
          ok = false;
        }
        for (const auto& s : rep.steps)
          if (on && (!s.state || !s.state->taken)) {
            std::fprintf(stderr, "state_bench: %s step %d: no snapshot\n", q.name.c_str(), s.index);
            ok = false;
          }
      }
      (on ? with : without).push_back(ms_since(t0));
      (on ? with_cpu : without_cpu).push_back(cpu_ms() - c0);
    }
  }
  const double w = median(with), wo = median(without);
  std::printf("suite: %zu quizzes, %zu steps, %d rounds: untraced %.1f ms, untraced + state %.1f ms "
              "(median); ratio %.3f (target <= 1.3): %s; %.1f us per step\n",
              quizzes.size(), steps, rounds, wo, w, wo > 0 ? w / wo : 0.0,
              wo > 0 && w / wo <= 1.3 ? "met" : "NOT met", steps ? (w - wo) * 1000.0 / static_cast<double>(steps) : 0.0);
  const double wc = median(with_cpu), woc = median(without_cpu);
  std::printf("suite CPU (this process + the sandboxes): untraced %.1f ms, untraced + state %.1f ms (median); "
              "ratio %.3f (target <= 1.3): %s; %.1f us per step\n",
              woc, wc, woc > 0 ? wc / woc : 0.0, woc > 0 && wc / woc <= 1.3 ? "met" : "NOT met",
              steps ? (wc - woc) * 1000.0 / static_cast<double>(steps) : 0.0);
  return ok ? 0 : 1;
}

int main(int argc, char** argv) {
  int rounds = 5, snapshots = 2000;
  std::string dir = std::string(TRISTATE_SOURCE_DIR) + "/quizzes";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "-n" && i + 1 < argc) rounds = std::max(1, std::atoi(argv[++i]));
    else if (a == "--snapshots" && i + 1 < argc) snapshots = std::max(10, std::atoi(argv[++i]));
    else if (a == "--quizzes" && i + 1 < argc) dir = argv[++i];
    else {
      std::fprintf(stderr, "usage: state_bench [-n ROUNDS] [--snapshots N] [--quizzes DIR]\n");
      return 2;
    }
  }
  auto loaded = tristate::trace::StepSnapshotter::load(tristate::trace::TaskScope::Reader,
                                                            tristate::trace::TcpTables::Load);
  if (!loaded) {
    std::fprintf(stderr, "state_bench: %s\n", loaded.error().message.c_str());
    return 2;
  }
  auto& snap = *loaded.value();

  if (const int st = bench_snapshots(snap, snapshots); st != 0) return st;
  return bench_suite(snap, dir, rounds);
}

