#include "cli/host_run.hpp"

#include <spdlog/spdlog.h>

#include <memory>

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
      rep.trace.notice = made.error().message + "; run the quizzes traced in a guest: --kernel 6.12";
    }
  }
  std::unique_ptr<trace::StepSnapshotter> snapshots;
  if (o.no_state) {
    rep.state.notice = "bucket state snapshots off (--no-state)";
  } else if (auto loaded = trace::StepSnapshotter::load()) {
    snapshots = std::move(loaded.value());
    rep.state.method = trace::snapshot_method_name(snapshots->method());
  } else {
    rep.state.notice = loaded.error().message;
  }
  std::unique_ptr<trace::QuizTracer> observer;
  quiz::RunOptions run_opts;
  run_opts.step_probe = snapshots.get();
  run_opts.timeout = std::chrono::milliseconds(o.timeout_ms);
  if (tracer) {
    observer = std::make_unique<trace::QuizTracer>(*tracer);
    run_opts.observer = observer.get();
  }
  for (const auto& q : quizzes) {
    rep.quizzes.push_back(quiz::run_quiz(q, run_opts));
    // untraced (or a step no event reached): the snapshots say why a step failed
    trace::explain_quiz_from_state(rep.quizzes.back());
  }
  if (tracer) {
    const auto probes = rep.trace.probes;
    rep.trace = tracer->info();
    if (rep.trace.probes.empty()) rep.trace.probes = probes;
    if (o.detach_after_exit)
      if (auto why = tracer->release_after_exit(); !why.empty())
        spdlog::debug("detaching before exit: {}", why);
  }
  return rep;
}

}  // namespace tristate::cli
