#include "cli/host_run.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <memory>
#include <thread>

#include "cli/privileges.hpp"
#include "cli/report_io.hpp"
#include "quiz/quiz_runner.hpp"
#include "trace/explain_state.hpp"
#include "trace/quiz_observer.hpp"
#include "trace/step_snapshot.hpp"
#include "trace/tracer.hpp"

namespace tristate::cli {

report::Report run_quizzes_on_host(const std::vector<quiz::Quiz>& quizzes,
                                   const HostRunOptions& o, const Globals& g) {
  report::Report rep = new_report(g);
  std::unique_ptr<trace::Tracer> tracer;
  if (o.no_trace) {
    rep.trace.notice = "tracing off (--no-trace)";
  } else {
    trace::route_libbpf_logs_to_spdlog();
    trace::Options topt;
    topt.force_kprobe = o.no_fentry;
    auto made = trace::Tracer::make(topt, &rep.trace);
    if (made) {
      tracer = std::move(made.value());
    } else {
      rep.trace.mode = report::TraceMode::none;
      rep.trace.notice =
          privileges_first(made.error().message + "; run the quizzes traced in a guest: --kernel 6.12",
                           ", or run the quizzes traced in a lab guest, which needs no root: --kernel 6.12");
    }
  }
  std::unique_ptr<trace::StepSnapshotter> snapshots;
  if (o.no_state) {
    rep.state.notice = "bucket state snapshots off (--no-state)";
  } else if (auto loaded = trace::StepSnapshotter::load()) {
    snapshots = std::move(loaded.value());
    rep.state.method = trace::snapshot_method_name(snapshots->method());
  } else {
    rep.state.notice = lacks_bpf_privileges()
                           ? "bucket state snapshots off: " + privileges_first(loaded.error().message)
                           : loaded.error().message;
  }
  std::unique_ptr<trace::QuizTracer> observer;
  quiz::RunOptions run_opts;
  run_opts.step_probe = snapshots.get();
  run_opts.timeout = std::chrono::milliseconds(o.timeout_ms);
  if (tracer) {
    observer = std::make_unique<trace::QuizTracer>(*tracer);
    run_opts.observer = observer.get();
  }
  // With a tracer, one quiz at a time: QuizTracer follows one namespace and drains the one ring
  // buffer per quiz. Untraced quizzes share nothing in the parent but the snapshot object
  // (each child has its own links and its own entry in the ports map).
  const std::size_t jobs =
      tracer ? 1 : std::max<std::size_t>(1, std::min<std::size_t>(static_cast<std::size_t>(std::max(o.jobs, 1)), quizzes.size()));
  rep.quizzes.resize(quizzes.size());
  std::atomic<std::size_t> next{0};
  std::vector<std::exception_ptr> failed(jobs);
  auto worker = [&](std::size_t w) {
    try {
      for (std::size_t i; (i = next++) < quizzes.size();) {
        rep.quizzes[i] = quiz::run_quiz(quizzes[i], run_opts);  // the files' order, whoever ran it
        // untraced (or a step no event reached): the snapshots say why a step failed
        trace::explain_quiz_from_state(rep.quizzes[i]);
      }
    } catch (...) {
      failed[w] = std::current_exception();
      next = quizzes.size();  // the others stop after their current quiz
    }
  };
  {
    std::vector<std::jthread> pool;
    for (std::size_t w = 1; w < jobs; ++w) pool.emplace_back(worker, w);
    worker(0);
  }
  for (const auto& e : failed)
    if (e) std::rethrow_exception(e);
  if (tracer) {
    const auto probes = rep.trace.probes;
    rep.trace = tracer->info();
    if (rep.trace.probes.empty()) rep.trace.probes = probes;
    if (o.detach_after_exit)
      if (auto released = tracer->release_after_exit(); !released)
        spdlog::debug("detaching before exit: {}", released.error().message);
  }
  return rep;
}

}  // namespace tristate::cli
