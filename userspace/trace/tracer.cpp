#include "trace/tracer.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/utsname.h>
#include <spdlog/spdlog.h>
#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <set>

#include "tristate.skel.h"
#include "trace/capabilities.hpp"
#include "trace/core_btf_cache.hpp"
#include "trace/core_object.hpp"
#include "trace/btf_id_sections.hpp"
#include "trace/kernel_functions.hpp"
#include "trace/decode.hpp"
#include "trace/netns_mirror.hpp"
#include "util/unique_fd.hpp"

extern "C" {
#include "bpf/tristate.h"
}

namespace tristate::trace {
namespace {

// Milliseconds since `t0`: start-up phases are logged (-v) because under an emulated guest
// they, not the quizzes, dominate a run.
double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

report::TraceMode mode_of(const std::vector<report::Probe>& probes) {
  bool fentry = false, kprobe = false;
  for (const auto& p : probes) {
    if (!p.attached) continue;
    fentry |= report::is_fentry_family(p.mechanism);
    kprobe |= report::is_kprobe_family(p.mechanism);
  }
  if (fentry && kprobe) return report::TraceMode::mixed;
  if (fentry) return report::TraceMode::fentry;
  if (kprobe) return report::TraceMode::kprobe;
  return report::TraceMode::none;
}

// The live-trace settings (rodata and map sizes), before load.
Result<void> configure_live(tristate_bpf* skel, const Options& o) {
  auto* ro = skel->rodata;
  ro->filter_follow = o.follow;
  if (o.comm.size() > 15) return Error{"comm filter '" + o.comm + "' is longer than the kernel's 15 characters"};
  ro->filter_comm_on = !o.comm.empty();
  for (size_t i = 0; i < o.comm.size(); ++i) const_cast<char&>(ro->filter_comm[i]) = o.comm[i];
  ro->filter_cgroup = o.cgroup_id;
  ro->filter_task = o.follow || !o.comm.empty() || o.cgroup_id != 0;
  ro->filter_port_lo = o.port_lo;
  ro->filter_port_hi = o.port_hi;
  ro->filter_failed_only = o.failed_only;
  if (o.wakeup_bytes) {
    // Each CPU wakes the reader after its share: at most wakeup_bytes pending in all. The BPF
    // side counts events; each takes at most its size plus the ring's 8-byte header (less in
    // an operation's record, which holds several behind one header).
    const int ncpu = std::max(1, libbpf_num_possible_cpus());
    const std::uint32_t per_cpu = o.wakeup_bytes / static_cast<std::uint32_t>(ncpu);
    ro->wakeup_every = std::max<std::uint32_t>(1, per_cpu / (sizeof(ts_event) + 8));
  }
  if (o.ringbuf_bytes) {
    const long page = sysconf(_SC_PAGESIZE);
    if (o.ringbuf_bytes < page || (o.ringbuf_bytes & (o.ringbuf_bytes - 1)))
      return Error{"ring buffer size " + std::to_string(o.ringbuf_bytes) +
                   " must be a power of two of at least one page (" + std::to_string(page) + ")"};
    if (int err = bpf_map__set_max_entries(skel->maps.events, o.ringbuf_bytes))
      return Error{std::string("sizing the ring buffer failed: ") + std::strerror(-err)};
  }
  return {};
}

// A verifier log of statistics (log level 4) on one line.
std::string one_line(const char* log) {
  std::string s(log);
  while (!s.empty() && s.back() == '\n') s.pop_back();
  for (char& c : s)
    if (c == '\n') c = ';';
  return s;
}

// What a failed filter-map update says: the operation and the errno it failed with.
Error map_error(const std::string& what) { return Error{what + ": " + std::strerror(errno)}; }

}  // namespace

// The salt only keeps kernel addresses out of bucket ids; it needs no cryptographic quality,
// and a blocking getrandom() in a freshly booted lab guest waited ~1 s for the entropy pool
// (measured on 6.1 under TCG: the first traced run's start-up went from 0.5 s to 1.5 s).
std::uint64_t random_salt() {
  std::uint64_t salt = 0;
  if (getrandom(&salt, sizeof(salt), GRND_INSECURE) == sizeof(salt)) return salt;  // 5.6+
  if (getrandom(&salt, sizeof(salt), GRND_NONBLOCK) == sizeof(salt)) return salt;
  const auto t = std::chrono::steady_clock::now().time_since_epoch().count();
  return static_cast<std::uint64_t>(t) * 0x9e3779b97f4a7c15ULL ^ static_cast<std::uint64_t>(getpid());
}


template <>
void LibbpfDestroy<tristate_bpf>::operator()(tristate_bpf* p) const {
  tristate_bpf__destroy(p);
}

Tracer::~Tracer() {
  // links before the skeleton, ring buffer before its map: the members' reverse declaration
  // order would free the skeleton last anyway, but be explicit about it.
  const auto t0 = std::chrono::steady_clock::now();
  ring_.reset();
  links_.clear();
  const double unlinked = ms_since(t0);
  skel_.reset();
  spdlog::debug("tracer detached: links {:.1f} ms, programs and maps {:.1f} ms", unlinked, ms_since(t0) - unlinked);
}

Result<std::unique_ptr<Tracer>> Tracer::make(const Options& options, report::TraceInfo* info) {
  route_libbpf_logs_to_spdlog();
  if (probe_tracing_refused() == EPERM) {
    struct utsname u {};
    ::uname(&u);
    if (const Check k = probe_kprobes(u.release); !k.ok) {
      const std::string why = describe_attach_error(report::ProbeMechanism::fentry, traced_functions().front(), EPERM);
      report::TraceInfo refused;
      for (const auto& f : traced_functions())
        refused.probes.push_back({f, report::ProbeMechanism::fentry, false, describe_attach_error(report::ProbeMechanism::fentry, f, EPERM)});
      refused.notice = "this kernel cannot be traced: " + why.substr(0, why.find(';')) +
                       "; and no kprobes (" + k.detail + ")";
      if (info) *info = refused;
      return Error{refused.notice};
    }
  }
  // A lab guest finds what its kernel's BTF says about the traced functions made by the host:
  // no BTF parse here. Where that attempt fails, the kernel's own BTF decides as before.
  if (const auto cached = CachedKernel::from_cache(traced_functions())) {
    auto made = make(options, *cached, info);
    if (made) return made;
    spdlog::debug("tracer: with the cached functions file: {}; again from the kernel's BTF", made.error().message);
  }
  std::unique_ptr<LiveKernel> kernel;
  const auto t0 = std::chrono::steady_clock::now();
  try {
    kernel = std::make_unique<LiveKernel>();
  } catch (const std::exception& e) {
    if (info) info->notice = e.what();
    return Error{e.what()};
  }
  spdlog::debug("tracer: the kernel's BTF read in {:.1f} ms", ms_since(t0));
  return make(options, *kernel, info);
}

Result<std::unique_ptr<Tracer>> Tracer::make(const Options& options, const KernelAccess& kernel,
                                             report::TraceInfo* info) {
  route_libbpf_logs_to_spdlog();
  PlanOptions plan;
  plan.force_kprobe = options.force_kprobe;
  std::map<std::string, std::string> refused;
  auto first = make_attempt(options, kernel, plan, info, &refused);
  if (refused.empty()) return first;
  // A trampoline refused after its program loaded: load again with kprobes for those
  // functions (the first attempt's links are gone with it).
  for (const auto& [function, why] : refused) spdlog::debug("{}; falling back to kprobes", why);
  plan.fentry_refused = std::move(refused);
  return make_attempt(options, kernel, plan, info, nullptr);
}

// Opens the object with `open_opts` (CO-RE against a minimal BTF or the kernel's whole one),
// sets its rodata and which programs load, and loads it into `t`.
Result<void> Tracer::open_and_load(Tracer& t, const Options& options, const std::vector<FunctionPlan>& plan,
                                   const bpf_object_open_opts& open_opts, bool stats_allowed) {
  t.skel_.reset(tristate_bpf__open_opts(&open_opts));
  if (!t.skel_) return Error{std::string("opening the BPF object failed: ") + std::strerror(errno)};
  auto* skel = t.skel_.get();
  skel->rodata->filter_netns = !options.trace_all_netns;
  skel->rodata->target_tgid = options.tgid;
  skel->rodata->bucket_salt = random_salt();
  skel->rodata->wakeup = options.wakeup;
  if (auto live = configure_live(skel, options); !live) return live;

  const bool verifier_stats = stats_allowed && spdlog::should_log(spdlog::level::trace);
  std::set<std::string> chosen;
  for (const auto& fp : plan)
    for (const auto& p : fp.programs) chosen.insert(p.name);
  // Each loaded program keeps its own verifier log: libbpf retries a failed load with
  // logging on, so the log costs nothing when everything loads.
  std::vector<std::pair<struct bpf_program*, std::vector<char>>> logs;
  struct bpf_program* prog;
  if (options.follow) chosen.insert("raw_tp__sched_process_fork");
  bpf_object__for_each_program(prog, skel->obj) {
    bool on = chosen.count(bpf_program__name(prog)) > 0;
    bpf_program__set_autoload(prog, on);
    if (on) {
      logs.emplace_back(prog, std::vector<char>(256 * 1024, '\0'));
      bpf_program__set_log_buf(prog, logs.back().second.data(), logs.back().second.size());
      // -vv: the verifier's statistics of each program (its time, instructions and states),
      // which say where a slow load goes on a given kernel.
      if (verifier_stats) bpf_program__set_log_level(prog, 4);
    }
  }
  if (int err = tristate_bpf__load(skel); err) {
    // A log of statistics alone holds no reason (libbpf retries with a full log only when no
    // level was asked for): load again without them, for the verifier's own words.
    if (verifier_stats) return open_and_load(t, options, plan, open_opts, false);
    std::string culprit;
    for (auto& [p, buf] : logs) {
      if (buf[0] == '\0') continue;
      std::string log(buf.data());
      spdlog::debug("verifier log of {}:\n{}", bpf_program__name(p), log);
      while (!log.empty() && log.back() == '\n') log.pop_back();
      auto cut = log.rfind('\n');
      for (int i = 0; i < 2 && cut != std::string::npos && cut > 0; ++i) cut = log.rfind('\n', cut - 1);
      culprit = std::string(bpf_program__name(p)) + ": " + (cut == std::string::npos ? log : log.substr(cut + 1));
    }
    return Error{"loading the BPF programs failed (" + std::string(std::strerror(-err)) + ")" +
                (culprit.empty() ? "" : ", verifier: " + culprit) +
                "; -v prints the whole verifier log; the kernel needs BTF, BPF ring buffers (5.8+) "
                "and CAP_BPF+CAP_PERFMON or root"};
  }
  if (verifier_stats)
    for (auto& [p, buf] : logs) spdlog::trace("verifier: {}: {}", bpf_program__name(p), one_line(buf.data()));
  return {};
}

// Loads the object for `plan` (load_core_object): CO-RE against the cached minimal BTF when
// there is one (a lab guest's comes from the host), else or where it fails the kernel's whole BTF.
Result<void> Tracer::load_for_plan(Tracer& t, const Options& options, const KernelAccess& kernel,
                                   const std::vector<FunctionPlan>& plan) {
  std::size_t elf_size = 0;
  const void* elf = tristate_bpf__elf_bytes(&elf_size);
  std::vector<std::string> functions;
  std::map<std::string, int> targets;
  for (const auto& fp : plan) {
    functions.push_back(fp.function);
    if (fp.mechanism == Mechanism::Fentry)
      if (const int id = kernel.func_id(fp.function); id > 0) targets[fp.function] = id;
  }
  register_btf_id_sections();
  set_btf_id_targets(functions, targets);
  const std::string core_btf = minimal_core_btf({static_cast<const char*>(elf), elf_size}, "tracer");
  auto loaded = load_core_object(core_btf, 1, [&](const bpf_object_open_opts& opts, std::size_t) {
    return open_and_load(t, options, plan, opts);
  });
  if (!loaded) return loaded.error();
  spdlog::debug("tracer: object loaded in {:.1f} ms ({} BTF, attempt {})", loaded.value().ms,
                loaded.value().whole_btf ? "whole" : "minimal", loaded.value().attempt);
  return {};
}

// Attaches every planned program, recording each probe in t.info_; with `refused`, collects
// the fentry attaches the kernel refused (make() then plans kprobes for them).
Tracer::AttachOutcome Tracer::attach_plan_programs(Tracer& t, const std::vector<FunctionPlan>& plan,
                                                   std::map<std::string, std::string>* refused) {
  AttachOutcome out;
  std::string& first_error = out.first_error;
  std::vector<std::string>& missing_required = out.missing_required;
  auto* skel = t.skel_.get();
  for (const auto& fp : plan) {
    if (!fp.fentry_error.empty()) {
      t.info_.probes.push_back({fp.function, report::ProbeMechanism::fentry, false, fp.fentry_error});
      if (first_error.empty()) first_error = fp.fentry_error;
    }
    if (fp.programs.empty()) {
      t.info_.probes.push_back({fp.function, report::ProbeMechanism::none, false, fp.error});
      if (fp.required) missing_required.push_back(fp.function);
      continue;
    }
    bool all = true;
    for (const auto& p : fp.programs) {
      struct bpf_program* bp = bpf_object__find_program_by_name(skel->obj, p.name.c_str());
      struct bpf_link* link = bp ? bpf_program__attach(bp) : nullptr;
      if (!link) {
        int err = bp ? errno : ENOENT;
        std::string why = describe_attach_error(p.mechanism, fp.function, err);
        if (refused && fp.mechanism == Mechanism::Fentry) (*refused)[fp.function] = why;
        t.info_.probes.push_back({fp.function, p.mechanism, false, why});
        if (first_error.empty() || fp.mechanism == Mechanism::Kprobe) first_error = why;
        all = false;
        continue;
      }
      t.links_.emplace_back(link);
      t.info_.probes.push_back({fp.function, p.mechanism, true, ""});
    }
    if (!all && fp.required) missing_required.push_back(fp.function);
  }
  return out;
}

Result<std::unique_ptr<Tracer>> Tracer::make_attempt(const Options& options, const KernelAccess& kernel,
                                                     const PlanOptions& plan_options, report::TraceInfo* info,
                                                     std::map<std::string, std::string>* refused) {
  std::unique_ptr<Tracer> t(new Tracer);
  auto fail = [&](std::string msg) -> Result<std::unique_ptr<Tracer>> {
    t->info_.mode = report::TraceMode::none;
    t->info_.notice = msg;
    if (info) *info = t->info_;
    return Error{std::move(msg)};
  };

  const auto t0 = std::chrono::steady_clock::now();
  auto plan = make_attach_plan(kernel, plan_options);
  const double planned = ms_since(t0);

  // Where every fentry was refused and kprobes do not exist, nothing can attach: say so now
  // instead of loading (and verifying) the whole object first. On this project's own
  // machines that was ~100 ms of every untraced `tristate quiz`.
  if (!plan.empty() && std::all_of(plan.begin(), plan.end(), [](const FunctionPlan& fp) {
        return !fp.fentry_error.empty() || fp.programs.empty();
      })) {
    struct utsname u {};
    ::uname(&u);
    if (const Check k = probe_kprobes(u.release); !k.ok) {
      for (const auto& fp : plan) t->info_.probes.push_back({fp.function, report::ProbeMechanism::fentry, false, fp.fentry_error});
      const std::string& f = plan.front().fentry_error;
      return fail("this kernel cannot be traced: " + f.substr(0, f.find(';')) + "; and no kprobes (" +
                  k.detail + ")");
    }
  }

  if (auto loaded = load_for_plan(*t, options, kernel, plan); !loaded) return fail(loaded.error().message);
  auto* skel = t->skel_.get();

  const double loaded = ms_since(t0);

  const AttachOutcome outcome = attach_plan_programs(*t, plan, refused);
  const std::string& first_error = outcome.first_error;
  const std::vector<std::string>& missing_required = outcome.missing_required;
  if (refused && !refused->empty()) return fail("fentry attach refused; retrying with kprobes");
  if (options.follow) {
    // children of the traced command: without this link only the command itself is seen
    struct bpf_link* link = bpf_program__attach(skel->progs.raw_tp__sched_process_fork);
    if (!link)
      return fail(std::string("raw tracepoint sched_process_fork refused (") + std::strerror(errno) +
                  "): needed to follow the children of the traced command");
    t->links_.emplace_back(link);
  }
  t->info_.mode = mode_of(t->info_.probes);
  if (t->info_.mode == report::TraceMode::none) {
    // The last probe's error ("no such symbol") would mislead where the kernel forbids
    // tracing as a whole: say that, with the errno of the fentry refusal.
    const auto caps = probe_capabilities();
    const Check* fentry = caps.find("fentry");
    const Check* kprobes = caps.find("kprobes");
    if (caps.mode == report::TraceMode::none && fentry && !fentry->ok && kprobes && !kprobes->ok) {
      const std::string f = fentry->detail.substr(0, fentry->detail.find(';'));
      return fail("this kernel cannot be traced: " + f + "; and no kprobes (" + kprobes->detail +
                  ")");
    }
    return fail("no probe attached: " + first_error);
  }
  if (!missing_required.empty()) {
    std::string list;
    for (const auto& f : missing_required) list += (list.empty() ? "" : ", ") + f;
    t->info_.notice = "not traced on this kernel: " + list + " (events from them are missing)";
  }

  t->ring_.reset(ring_buffer__new(bpf_map__fd(skel->maps.events), &Tracer::on_sample, t.get(), nullptr));
  if (!t->ring_) return fail(std::string("creating the ring buffer reader failed: ") + std::strerror(errno));
  const double attached = ms_since(t0);
  spdlog::debug("tracer attached in {} mode ({} links): plan {:.1f} ms, load {:.1f} ms, attach {:.1f} ms",
                report::name(t->info_.mode), t->links_.size(), planned, loaded - planned, attached - loaded);
  if (info) *info = t->info_;
  return t;
}

int Tracer::on_sample(void* ctx, void* data, std::size_t size) {
  auto* self = static_cast<Tracer*>(ctx);
  const std::size_t n = events_in_record(size);
  if (n == 0) ++self->undecodable_;
  const auto* p = static_cast<const char*>(data);
  for (std::size_t i = 0; i < n; ++i, p += sizeof(ts_event)) {
    if (self->batch_len_ == self->batch_.size()) self->batch_.emplace_back();
    if (decode_event_into(p, sizeof(ts_event), self->batch_[self->batch_len_]))
      ++self->batch_len_;
    else
      ++self->undecodable_;
  }
  return 0;
}

Result<void> Tracer::watch_netns(std::uint64_t inode) {
  __u32 key = static_cast<__u32>(inode);
  __u8 one = 1;
  if (bpf_map_update_elem(bpf_map__fd(skel_->maps.netns_filter), &key, &one, BPF_ANY))
    return map_error("adding netns " + std::to_string(inode) + " to the trace filter");
  netns_mirror_add(skel_->bss->netns_fast, &skel_->bss->netns_fast_n, key);
  return {};
}

Result<void> Tracer::unwatch_netns(std::uint64_t inode) {
  __u32 key = static_cast<__u32>(inode);
  if (bpf_map_delete_elem(bpf_map__fd(skel_->maps.netns_filter), &key) && errno != ENOENT)
    return map_error("removing netns " + std::to_string(inode) + " from the trace filter");
  netns_mirror_remove(skel_->bss->netns_fast, &skel_->bss->netns_fast_n, key);
  return {};
}

std::span<const report::Event> Tracer::drain() {
  batch_len_ = 0;
  int n = ring_buffer__consume(ring_.get());
  if (n < 0) spdlog::warn("reading the trace ring buffer failed: {}", std::strerror(-n));
  return batch();
}

std::span<const report::Event> Tracer::poll(int timeout_ms) {
  batch_len_ = 0;
  int n = ring_buffer__poll(ring_.get(), timeout_ms);
  if (n < 0 && n != -EINTR) spdlog::warn("reading the trace ring buffer failed: {}", std::strerror(-n));
  // No wakeup is no proof of an empty ring: records below the wakeup threshold (and
  // discarded ones, which still take space) are only passed over by reading.
  if (n == 0) ring_buffer__consume(ring_.get());
  return batch();
}

Result<void> Tracer::follow_tgid(std::uint32_t tgid) {
  __u32 key = tgid;
  __u8 one = 1;
  if (bpf_map_update_elem(bpf_map__fd(skel_->maps.followed_tgids), &key, &one, BPF_ANY))
    return map_error("adding process " + std::to_string(tgid) + " to the trace filter");
  return {};
}

Result<void> Tracer::release_after_exit() {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return Error{std::string("pipe: ") + std::strerror(errno)};
  util::UniqueFd read_end(p[0]);
  util::UniqueFd write_end(p[1]);
  const pid_t pid = fork();
  if (pid < 0) return Error{std::string("fork: ") + std::strerror(errno)};
  if (pid == 0) {
    // Only async-signal-safe calls here (UniqueFd::reset is a close()): the parent may have
    // had other threads.
    write_end.reset();
    const int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
      dup2(null, 0);
      dup2(null, 1);
      dup2(null, 2);
    }
    char c;
    while (read(read_end.get(), &c, 1) < 0 && errno == EINTR) {
    }
    _exit(0);  // the kernel closes the inherited descriptors: the links detach now
  }
  // The write end is deliberately left open: it closes when this process exits, and that EOF
  // is the child's cue.
  write_end.release();
  return {};
}

report::TraceInfo Tracer::info() const {
  report::TraceInfo i = info_;
  int ncpu = libbpf_num_possible_cpus();
  if (ncpu > 0) {
    std::vector<ts_counters> values(static_cast<size_t>(ncpu));
    const __u32 key = 0;
    if (bpf_map_lookup_elem(bpf_map__fd(skel_->maps.counters), &key, values.data()) == 0)
      for (const auto& v : values) {
        i.lost += v.lost;
        i.events += v.events;
        i.missed += v.busy;  // operations not followed: a slot held by another thread, or nested
      }
  }
  // The kernel counts the runs it skipped per program; the BPF side cannot see those.
  struct bpf_program* prog;
  bpf_object__for_each_program(prog, skel_->obj) {
    const int fd = bpf_program__fd(prog);
    if (fd < 0) continue;
    struct bpf_prog_info pi {};
    __u32 len = sizeof(pi);
    if (bpf_obj_get_info_by_fd(fd, &pi, &len) == 0) i.missed += pi.recursion_misses;
  }
  return i;
}

}  // namespace tristate::trace
