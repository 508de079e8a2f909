// Guest-side driver for the tracer tests: loads the tracer, runs quizzes traced, optionally
// with foreign traffic in the root namespace, then checks that nothing tristate loaded is
// left in the kernel. Prints one JSON document between marker lines on stdout (the serial
// console), which tests/tracer/check_events.py asserts on the host.
#include <sched.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <spdlog/spdlog.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "quiz/quiz_parser.hpp"
#include "quiz/quiz_runner.hpp"
#include "report/report_json.hpp"
#include "trace/quiz_observer.hpp"
#include "trace/step_snapshot.hpp"
#include "trace/tracer.hpp"

using namespace tristate;

namespace {

void pin_to_cpu(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  sched_setaffinity(0, sizeof(set), &set);  // 0: the calling thread
}

// bind()/connect()/close() on loopback in the root namespace, to prove the filter works.
void noise(std::atomic<bool>& stop, std::atomic<long>& ops) {
  int l = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(4321);
  int one = 1;
  setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(l, reinterpret_cast<sockaddr*>(&a), sizeof(a)) || listen(l, 1024)) return;
  while (!stop) {
    int c = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(c, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0) {
      int s = accept(l, nullptr, nullptr);
      if (s >= 0) close(s);
    }
    close(c);
    ++ops;
  }
  close(l);
}

// Programs whose names come from bpf/tristate.bpf.c still loaded (names are cut at 15 chars).
int leftover_programs() {
  int n = 0;
  __u32 id = 0;
  while (bpf_prog_get_next_id(id, &id) == 0) {
    int fd = bpf_prog_get_fd_by_id(id);
    if (fd < 0) continue;
    bpf_prog_info info{};
    __u32 len = sizeof(info);
    if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0) {
      std::string name = info.name;
      for (const char* p : {"fentry__", "fexit__", "kprobe__", "kretprobe__", "ts_probe"})
        if (name.rfind(p, 0) == 0) ++n;
    }
    close(fd);
  }
  return n;
}

// Tracer::release_after_exit: a process that hands its release to a child and exits must
// not leave programs behind once the child is gone. Returns the programs still loaded 10 s
// after that process exited (0 expected), and in `*exit_ms` how long its exit took.
int deferred_release_leftovers(const trace::Options& opts, double* exit_ms) {
  const auto t0 = std::chrono::steady_clock::now();
  const pid_t pid = fork();
  if (pid == 0) {
    auto made = trace::Tracer::make(opts, nullptr);
    if (!made) _exit(3);
    _exit(made.value()->release_after_exit() ? 0 : 4);  // leaves the Tracer to exit()
  }
  int status = 0;
  waitpid(pid, &status, 0);
  *exit_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return -1;
  int left = leftover_programs();
  for (int i = 0; i < 100 && left > 0; ++i) {
    usleep(100 * 1000);
    left = leftover_programs();
  }
  return left;
}

}  // namespace

int main(int argc, char** argv) {
  trace::Options opts;
  bool with_noise = false;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--no-fentry")
      opts.force_kprobe = true;
    else if (a == "-v")
      spdlog::set_level(spdlog::level::trace);
    else if (a == "--noise")
      with_noise = true;
    else if (a == "--drop-events" && i + 1 < argc)
      setenv("TRISTATE_TEST_DROP_EVENTS", argv[++i], 1);  // read by QuizTracer::quiz_done
    else
      files.push_back(a);
  }
  nlohmann::json out;
  utsname u{};
  uname(&u);
  out["kernel"] = u.release;
  out["force_kprobe"] = opts.force_kprobe;
  struct stat ns {};
  if (stat("/proc/self/ns/net", &ns) == 0) out["root_netns"] = ns.st_ino;
  {
    report::TraceInfo info;
    auto made = trace::Tracer::make(opts, &info);
    if (!made) {
      out["error"] = made.error().message;
      out["trace"] = info;
    } else {
      auto& tracer = *made.value();
      trace::QuizTracer observer(tracer);
      std::atomic<bool> stop{false};
      std::atomic<long> noise_ops{0};
      std::thread noisy;
      // A tracing program preempted on a CPU is not re-entered there (the kernel counts a
      // recursion miss and the event is gone), so on one CPU the noise could hide a quiz
      // event. With two CPUs the noise gets its own: it still runs during the quizzes, in
      // the root namespace, which is what the filter check needs.
      const bool split = with_noise && sysconf(_SC_NPROCESSORS_ONLN) >= 2;
      if (split) pin_to_cpu(0);
      if (with_noise)
        noisy = std::thread([&] {
          if (split) pin_to_cpu(1);
          noise(stop, noise_ops);
        });
      // bucket state after every step, cross-checked against the tracer's model
      auto snapshots = trace::StepSnapshotter::load();
      if (snapshots) out["state_method"] = trace::snapshot_method_name(snapshots.value()->method());
      else out["state_error"] = snapshots.error().message;
      out["quizzes"] = nlohmann::json::array();
      for (const auto& f : files) {
        quiz::RunOptions ro;
        ro.observer = &observer;
        if (snapshots) ro.step_probe = snapshots.value().get();
        report::Quiz q = quiz::run_quiz(quiz::load_quiz(f), ro);
        out["quizzes"].push_back(q);
      }
      if (with_noise) {
        stop = true;
        noisy.join();
        out["noise_ops"] = noise_ops.load();
      }
      // whatever arrived after the quizzes (root namespace noise must not be there either)
      out["late_events"] = tracer.drain().size();
      out["trace"] = tracer.info();
    }
  }  // Tracer destroyed: every link and program must be gone now
  out["leftover_programs"] = leftover_programs();
  if (!out.contains("error")) {
    double exit_ms = 0;
    out["deferred_leftover_programs"] = deferred_release_leftovers(opts, &exit_ms);
    out["deferred_exit_ms"] = exit_ms;
  }
  std::cout << "=== TRISTATE-TRACE-BEGIN ===\n" << out.dump() << "\n=== TRISTATE-TRACE-END ===\n" << std::flush;
  return 0;
}
