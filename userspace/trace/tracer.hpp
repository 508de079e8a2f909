// The bind-bucket tracer: owns the BPF skeleton, its links and the ring buffer.
// open -> configure rodata -> choose programs (attach_plan) -> load -> attach.
// Destroying the Tracer detaches and unloads everything (RAII), also on exceptions.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "report/report.hpp"
#include "trace/attach_plan.hpp"
#include "trace/libbpf_owner.hpp"
#include "trace/result.hpp"

struct bpf_object_open_opts;

struct tristate_bpf;

namespace tristate::trace {

template <>
void LibbpfDestroy<tristate_bpf>::operator()(tristate_bpf* p) const;

struct Options {
  bool force_kprobe = false;   // kprobe/kretprobe even where fentry works (--no-fentry)
  bool trace_all_netns = false;  // no netns filter (live trace); quiz mode adds namespaces
  std::uint32_t tgid = 0;      // 0: any process
  bool wakeup = false;         // wake the reader per event (live trace); quiz mode drains

  // Live trace (`tristate trace`). Filters run in BPF (bpf/filters.bpf.h), so that what they
  // drop never costs a ring-buffer record; all off by default.
  bool follow = false;             // only processes added by follow_tgid() and their children
  std::string comm;                // only this task comm ("" = any; at most 15 characters)
  std::uint64_t cgroup_id = 0;     // only this cgroup v2 id (0 = any)
  std::uint16_t port_lo = 0;       // only ports in [port_lo, port_hi] (port_hi 0 = any)
  std::uint16_t port_hi = 0;
  bool failed_only = false;        // only failed bind()/connect() port allocations
  std::uint32_t ringbuf_bytes = 0; // ring buffer size (power of two, >= page; 0 = built-in 256 KiB)
  std::uint32_t wakeup_bytes = 0;  // without `wakeup`: wake the reader before this much is pending
};

class Tracer {
 public:
  // On failure the error says which mechanism failed, errno, requirement and fix; `info`
  // (if given) receives the per-probe report either way.
  static Result<std::unique_ptr<Tracer>> make(const Options& options, report::TraceInfo* info = nullptr);
  // Same, with a supplied kernel description (tests, or a caller that already has one).
  static Result<std::unique_ptr<Tracer>> make(const Options& options, const KernelAccess& kernel,
                                              report::TraceInfo* info);
  ~Tracer();
  Tracer(const Tracer&) = delete;
  Tracer& operator=(const Tracer&) = delete;

  // Namespace filter (network namespace inode numbers); an error names the operation and errno.
  Result<void> watch_netns(std::uint64_t inode);
  Result<void> unwatch_netns(std::uint64_t inode);

  // Everything the kernel has submitted so far, decoded, in submission order. The events
  // stay valid until the next drain() or poll(), which decodes into the same storage.
  std::span<const report::Event> drain();

  // Waits up to timeout_ms for a ring-buffer wakeup, then returns what is pending (maybe
  // nothing), valid as drain()'s. An interrupted wait returns what is pending too.
  std::span<const report::Event> poll(int timeout_ms);

  // Adds a process to the `follow` set (before it runs anything worth tracing).
  Result<void> follow_tgid(std::uint32_t tgid);

  // Records that did not decode (a BPF object newer than this decoder).
  std::uint64_t undecodable() const { return undecodable_; }

  // Mode, probes, event and lost counts (counts read from the BPF counters now).
  report::TraceInfo info() const;

  // Leaves the final release of the programs and links to a child process that holds copies
  // of their descriptors until this process has exited. Detaching is slow where each link
  // waits for an RCU-tasks grace period (~0.1 s per fentry link on 6.1, 1.1-1.3 s for all):
  // a lab guest, powered off right after its report is out, need not wait for it. The
  // programs stay attached until this process is gone. An error says why not (teardown then
  // stays synchronous).
  Result<void> release_after_exit();

 private:
  Tracer() = default;
  // One open and load of the object for `plan` with `open_opts` (its CO-RE BTF); at -vv with
  // each program's verifier statistics, unless `stats_allowed` is false.
  static Result<void> open_and_load(Tracer& t, const Options& options, const std::vector<FunctionPlan>& plan,
                                    const bpf_object_open_opts& open_opts, bool stats_allowed = true);
  static Result<void> load_for_plan(Tracer& t, const Options& options, const KernelAccess& kernel,
                                    const std::vector<FunctionPlan>& plan);
  // What attaching the plan's programs left: the first refusal, required functions unprobed.
  struct AttachOutcome {
    std::string first_error;
    std::vector<std::string> missing_required;
  };
  static AttachOutcome attach_plan_programs(Tracer& t, const std::vector<FunctionPlan>& plan,
                                            std::map<std::string, std::string>* refused);
  // One load and attach with `plan_options`; with `refused`, fentry attaches the kernel
  // refuses are collected there (and the attempt fails) so that make() can retry.
  static Result<std::unique_ptr<Tracer>> make_attempt(const Options& options, const KernelAccess& kernel,
                                                      const PlanOptions& plan_options, report::TraceInfo* info,
                                                      std::map<std::string, std::string>* refused);
  static int on_sample(void* ctx, void* data, std::size_t size);
  std::span<const report::Event> batch() const { return {batch_.data(), batch_len_}; }

  LibbpfPtr<tristate_bpf> skel_;
  std::vector<LibbpfPtr<bpf_link>> links_;
  LibbpfPtr<ring_buffer> ring_;
  // The current batch is batch_[0, batch_len_). Events past it are kept from earlier batches
  // to be decoded into (an Event holds no heap storage: nothing is allocated per event).
  std::vector<report::Event> batch_;
  std::size_t batch_len_ = 0;
  std::uint64_t undecodable_ = 0;
  report::TraceInfo info_;
};

// Routes libbpf's messages to spdlog (debug and below only: libbpf is noisy on probes that
// are expected to fail). Idempotent.
void route_libbpf_logs_to_spdlog();

// A per-run key that keeps kernel addresses out of the ids BPF programs hand out; never blocks.
std::uint64_t random_salt();

}  // namespace tristate::trace
