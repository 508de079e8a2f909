// Plugs the Tracer into the quiz runner: the quiz's namespace is added to the BPF filter
// before anything runs in it, and its events are attributed and explained when it ends.
#pragma once

#include <cstdint>

#include "quiz/quiz_runner.hpp"
#include "trace/tracer.hpp"

namespace tristate::trace {

class QuizTracer final : public quiz::Observer {
 public:
  // `tracer` must outlive this observer; one observer can follow many quizzes in turn.
  explicit QuizTracer(Tracer& tracer) : tracer_(tracer) {}

  void sandbox_ready(std::uint64_t netns_inode, pid_t pid) override;
  void quiz_done(report::Quiz& quiz) override;

 private:
  Tracer& tracer_;
  std::uint64_t netns_ = 0;
};

}  // namespace tristate::trace
