// The Report: the one document every tristate command produces or consumes.
// A quiz run on the host, inside a lab guest, or loaded from a file is the same value;
// renderers and `compare` never know where it came from.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "report/kinds.hpp"
#include "report/name.hpp"

namespace tristate::report {

// Bump the minor for additive changes, the major when a reader of the old one would misread.
// History in docs/report.schema.json ("$comment") and docs/json.md.
// 2: 64-bit ids (Event::bucket, SockState::bucket) are JSON strings; 1.x wrote integers,
// which jq and JavaScript round above 2^53. Documents of both majors are read.
inline constexpr const char* kSchema = "tristate.report/2";
inline constexpr const char* kReadableSchemas = "tristate.report/1 and tristate.report/2";

// Where the kernel a run happened on came from.
struct KernelInfo {
  std::string release;   // uname -r
  std::string version;   // uname -v
  std::string machine;   // uname -m
  std::string origin = "host";  // host | series | package | path
  std::string series;    // "6.1" when origin is series
  std::string package;   // Debian package the vmlinuz came from
  std::string package_version;
};

// Sysctls that change quiz outcomes, as read inside the quiz's own namespace.
struct Sysctls {
  std::string ip_local_port_range;
  std::string ip_local_reserved_ports;
  std::string ip_autobind_reuse;
};

// How one traced kernel function was attached (or why it was not).
struct Probe {
  std::string function;
  ProbeMechanism mechanism = ProbeMechanism::none;
  bool attached = false;
  std::string error;      // why not, when !attached
};

struct TraceInfo {
  TraceMode mode = TraceMode::none;
  std::string notice;         // one line for the user when mode is none or degraded
  std::vector<Probe> probes;
  std::uint64_t events = 0;
  std::uint64_t lost = 0;     // events the ring buffer had no room for
  // Program runs the kernel skipped (bpf_prog_info.recursion_misses): a tracing program
  // preempted on a CPU is not run again there until it finishes, so its events are missing.
  std::uint64_t missed = 0;
};

// A bucket state pair. Values are the kernel's: -1, 0, +1 (fastreuseport may also be
// FASTREUSEPORT_STRICT = 2 on kernels that have it).
struct BucketState {
  int fastreuse = 0;
  int fastreuseport = 0;
  friend bool operator==(const BucketState&, const BucketState&) = default;
};

// One thing the kernel did to a bind bucket, decoded from the BPF event.
struct Event {
  std::uint64_t ts_ns = 0;   // CLOCK_MONOTONIC (bpf_ktime_get_ns)
  std::uint32_t pid = 0;
  std::uint32_t tid = 0;
  Name comm;
  std::uint64_t netns = 0;   // network namespace inode
  EventKind kind = EventKind::bucket_state;
  Name function;             // kernel function the event was taken in
  OpPath path = OpPath::none;  // the operation that caused it
  std::uint16_t port = 0;
  int l3mdev = 0;
  std::uint64_t bucket = 0;  // per-boot id of the bucket (hashed address), to follow it
  std::optional<BucketState> before;
  std::optional<BucketState> after;
  std::optional<int> requested_port;  // bind_alloc: the port asked for (0 = any)
  std::optional<int> result;          // return value of the function (0 ok, -errno)
  Name addr;                          // bhash2 events: the bucket's local address (45 characters at most)
};

// One TCP socket of the quiz's namespace and the bind buckets it holds after a step, as a BPF
// iterator read them (trace/step_snapshot). Not events: the kernel's state at that moment.
struct SockState {
  std::string name;        // the quiz's name for it (s1, ln); "ln.child" for a connection a
                           // listener holds but nobody accept()ed; "time-wait"; "" unknown
  int fd = -1;             // -1: held by no file of the quiz process (TIME_WAIT, accept queue)
  std::string tcp_state;   // LISTEN, ESTABLISHED, TIME_WAIT, CLOSE (bound or not, no connection) …
  std::string local;       // "127.0.0.1:60000", "[::1]:60000", "" when not bound
  std::uint16_t port = 0;  // its bhash bucket's port; 0: on no bucket (not bound)
  std::uint64_t bucket = 0;   // per-run id of that bucket (not the tracer's ids)
  BucketState state;          // the bhash bucket's pair
  bool bhash2 = false;        // on a bhash2 bucket (6.1+)
  std::optional<BucketState> state2;  // that bhash2 bucket's own pair (6.18+)
};

// The bind buckets after one step. `taken` false: no snapshot (error says why) — a state
// assertion is then "not checked", never passed.
struct StepState {
  bool taken = false;
  std::string error;                 // why not taken, one line
  std::uint64_t t_ns = 0;            // CLOCK_MONOTONIC when the iterators were read
  std::vector<SockState> sockets;    // sorted by port, then name
  std::vector<std::string> gone;     // quiz sockets open after the step that the snapshot did
                                     // not find (closed between step and snapshot)
  std::vector<std::string> model_diff;  // traced runs: where the tracer's bucket model after
                                        // the step differs from the snapshot, one line each
};

// One state assertion of a statement (`>>> # state s1: -1/-1 [bhash2 -1/-1]`) checked against
// the snapshot after it (quiz/state_check.hpp). A DIFF makes the step a mismatch.
struct StateCheck {
  CheckOutcome outcome = CheckOutcome::not_checked;  // never passed without a snapshot
  std::string sock;
  int line = 0, column = 0;
  std::string text;     // as written
  std::string actual;   // what was read, "" when not checked
  std::string why;      // not checked: why
};

// How the per-step snapshots were taken, or why they were not.
struct StateInfo {
  std::string method = "none";  // task_file+tcp | task_file(5.10)+tcp | none
  std::string notice;           // one line when none or degraded
};

struct CallResult {
  std::string call;        // e.g. "s2.connect(('127.9.9.9', 1234))"
  bool ok = true;
  std::string value;       // python repr of the return value ("None", "(('127.0.0.1', 60000), …)")
  int err = 0;             // errno when !ok
  std::string err_name;    // "EADDRNOTAVAIL"
};

struct Step {
  int index = 0;
  int line = 0;               // line of the `>>>` in the quiz file
  std::string source;         // the statement text after `>>> `
  std::vector<CallResult> calls;
  std::string expected;       // expected output text as written ("" = none)
  std::string actual;         // what the statement printed, doctest style
  bool matched = true;
  std::uint32_t tid = 0;      // thread that executed the step (for event attribution)
  std::uint64_t t_start_ns = 0;  // CLOCK_MONOTONIC around the syscalls
  std::uint64_t t_end_ns = 0;
  std::string wall_time;      // ISO 8601 with microseconds, for humans
  std::vector<Event> events;  // bucket events this step caused (tracer)
  std::string explanation;    // why the step failed, derived from the events
  std::string note;           // e.g. "differs from the post: …"
  std::optional<StepState> state;  // bind buckets after the step (absent: snapshots off)
  std::vector<StateCheck> state_checks;  // the statement's state assertions, checked
};

struct Quiz {
  std::string name;      // file stem, e.g. "post-3"
  std::string file;      // path as given
  std::string title;
  std::string source;    // where it comes from (post, cloudflare, tristate)
  std::string lesson;
  std::string setup;     // human summary of the setup
  Sysctls sysctls;
  std::vector<Step> steps;
  std::vector<Event> background;  // events in the quiz's netns not caused by a step
  QuizStatus status = QuizStatus::ok;
  std::string error;              // set when status is error (sandbox failure, …)
  double duration_ms = 0;

  int mismatches() const;
  int state_mismatches() const;  // steps whose snapshot and tracer model disagree
};

struct Report {
  std::string schema = kSchema;
  std::string tool_version;
  std::string created;      // ISO 8601 UTC
  std::string command;      // argv joined, for provenance
  std::string where = "host";  // host | guest
  KernelInfo kernel;
  TraceInfo trace;
  StateInfo state;
  std::vector<Quiz> quizzes;

  int mismatches() const;
  int state_mismatches() const;
};

}  // namespace tristate::report
