// Synthetic Report documents for the compare tests, the compare benchmark and the browser
// test. They are shaped like real runs of the post's quizzes (one-port range 60000) but are
// made up: nothing here claims what a real kernel does.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "report/report.hpp"

namespace tristate::compare_fixtures {

using report::BucketState;
using report::Event;
using report::Quiz;
using report::Report;
using report::Step;

inline Event ev(const std::string& kind, const std::string& function, const std::string& path,
                std::optional<BucketState> before, std::optional<BucketState> after,
                std::uint16_t port = 60000) {
  Event e;
  e.kind = report::from_name<report::EventKind>(kind).value();
  e.function = function;
  e.path = report::from_name<report::OpPath>(path).value();
  e.port = port;
  e.before = before;
  e.after = after;
  e.result = 0;
  // Fields compare must ignore: different in every run.
  static std::uint64_t ts = 1000;
  e.ts_ns = ts += 137;
  e.pid = static_cast<std::uint32_t>(ts % 9973);
  e.bucket = ts * 0x9e3779b97f4a7c15ull;  // like a hashed address: mostly above 2^53
  e.netns = 4026532000u + ts % 17;
  return e;
}

inline Step step(int index, const std::string& source, const std::string& err_name = "",
                 std::vector<Event> events = {}, bool matched = true) {
  Step s;
  s.index = index;
  s.line = 10 + 2 * index;
  s.source = source;
  report::CallResult c;
  c.call = source;
  c.ok = err_name.empty();
  c.err_name = err_name;
  c.err = err_name.empty() ? 0 : 99;
  s.calls.push_back(c);
  s.actual = err_name.empty() ? "" : "OSError: [Errno 99] " + err_name;
  s.expected = s.actual;
  s.matched = matched;
  s.events = std::move(events);
  return s;
}

inline constexpr BucketState kConnect{-1, -1}, kBind{0, 0}, kReuse{1, 1};

// post-1: two connect()s share the ephemeral port: the bucket is made -1 by connect().
inline Quiz quiz_connect_twice(const std::string& name = "post-1") {
  Quiz q;
  q.name = name;
  q.title = "connect() twice";
  q.steps.push_back(step(1, "s1 = socket.socket()"));
  q.steps.push_back(step(2, "s1.connect(('127.1.1.1', 1234))", "",
                         {ev("connect_alloc", "__inet_hash_connect", "connect", {}, {}),
                          ev("bucket_create", "inet_bind_bucket_create", "connect", {}, kConnect)}));
  q.steps.push_back(step(3, "s2 = socket.socket()"));
  q.steps.push_back(step(4, "s2.connect(('127.2.2.2', 1234))", "",
                         {ev("connect_alloc", "__inet_hash_connect", "connect", kConnect, kConnect)}));
  return q;
}

// post-3: bind(port 0) makes the bucket 0; a later connect() must skip the port.
inline Quiz quiz_bind_then_connect(const std::string& name = "post-3") {
  Quiz q;
  q.name = name;
  q.title = "bind() then connect()";
  q.steps.push_back(step(1, "s1 = socket.socket()"));
  q.steps.push_back(step(2, "s1.bind(('127.0.0.1', 0))", "",
                         {ev("bind_alloc", "inet_csk_get_port", "bind", {}, {}),
                          ev("bucket_create", "inet_bind_bucket_create", "bind", {}, kBind)}));
  q.steps.push_back(step(3, "s2 = socket.socket()"));
  q.steps.push_back(step(4, "s2.connect(('127.9.9.9', 1234))", "EADDRNOTAVAIL",
                         {ev("connect_skip", "__inet_hash_connect", "connect", kBind, {})}));
  return q;
}

// post-2: SO_REUSEADDR bind() takes the bucket 0 → +1, close() destroys it.
inline Quiz quiz_reuse_and_close(const std::string& name = "post-2") {
  Quiz q;
  q.name = name;
  q.title = "reuse, then close";
  q.steps.push_back(step(1, "s1.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)"));
  q.steps.push_back(
      step(2, "s1.bind(('127.0.0.1', 60000))", "",
           {ev("bucket_create", "inet_bind_bucket_create", "bind", {}, kBind),
            ev("bucket_state", "inet_csk_update_fastreuse", "bind", kBind, kReuse)}));
  q.steps.push_back(step(3, "s1.close()", "",
                         {ev("bucket_destroy", "inet_bind_bucket_destroy", "release", kReuse, {})}));
  return q;
}

inline Report report_for(const std::string& release, bool traced = true) {
  Report r;
  r.tool_version = "0.1.0";
  r.created = "2025-01-01T00:00:00Z";
  r.where = "guest";
  r.kernel.release = release;
  r.kernel.origin = "series";
  r.trace.mode = traced ? report::TraceMode::fentry : report::TraceMode::none;
  r.quizzes = {quiz_connect_twice(), quiz_reuse_and_close(), quiz_bind_then_connect()};
  if (!traced)
    for (auto& q : r.quizzes)
      for (auto& s : q.steps) s.events.clear();
  return r;
}

// `n` quizzes, each a copy of the three above under a new name: the benchmark's documents.
inline Report big_report(const std::string& release, int n) {
  Report r = report_for(release);
  r.quizzes.clear();
  for (int i = 0; i < n; ++i) {
    const std::string suffix = "-" + std::to_string(i);
    switch (i % 3) {
      case 0: r.quizzes.push_back(quiz_connect_twice("gen-connect" + suffix)); break;
      case 1: r.quizzes.push_back(quiz_reuse_and_close("gen-reuse" + suffix)); break;
      default: r.quizzes.push_back(quiz_bind_then_connect("gen-bind" + suffix)); break;
    }
  }
  return r;
}

}  // namespace tristate::compare_fixtures
