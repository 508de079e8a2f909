#include "trace/attach_plan.hpp"

extern "C" {
#include "bpf/tristate.h"
}

#include <cerrno>
#include <cstring>
#include <functional>
#include <optional>

namespace tristate::trace {
namespace {

// The kernel's internal ENOTSUPP leaks out of bpf(); userspace headers do not define it.
constexpr int ENOTSUPP_LINUX = 524;

// Picks the program variant for a prototype; nullopt = a prototype this build does not know.
// One naming scheme for every variant: "a<N>", N the parameter count of the kernel prototype
// the BPF program was written for (its name ends in __a<N>), since every prototype change so
// far changed the count. Where the count alone would not prove the layout (an argument order
// swap could keep it), the picker also checks the parameter types.
using VariantFn = std::function<std::optional<std::string>(const Prototype&)>;

struct Spec {
  const char* function;
  unsigned ts_fn;  // its TS_FN_ number in bpf/tristate.h: how its events name it
  bool required;
  VariantFn variant;  // empty: one prototype everywhere
  // Program names; "{v}" is replaced by the variant. Empty string: no such program.
  const char* fentry;
  const char* fexit;
  const char* kprobe;
  const char* kretprobe;
};

std::optional<std::string> by_nargs(const Prototype& p, std::initializer_list<std::pair<size_t, const char*>> m) {
  for (auto& [n, v] : m)
    if (p.param_types.size() == n) return std::string(v);
  return std::nullopt;
}

const std::vector<Spec>& specs() {
  static const std::vector<Spec> s = {
      {"inet_csk_get_port", TS_FN_INET_CSK_GET_PORT, true, {}, "fentry__inet_csk_get_port", "fexit__inet_csk_get_port",
       "kprobe__inet_csk_get_port", "kretprobe__inet_csk_get_port"},
      {"__inet_hash_connect", TS_FN_INET_HASH_CONNECT, true,
       // 6.15 added `u32 hash_port0` before check_established: fexit reads ret one slot later
       [](const Prototype& p) { return by_nargs(p, {{4, "a4"}, {5, "a5"}}); },
       "fentry____inet_hash_connect", "fexit____inet_hash_connect__{v}", "kprobe____inet_hash_connect",
       "kretprobe____inet_hash_connect"},
      {"inet_bind_bucket_create", TS_FN_BIND_BUCKET_CREATE, true, {}, "", "fexit__inet_bind_bucket_create", "",
       "kretprobe__inet_bind_bucket_create"},
      {"inet_csk_update_fastreuse", TS_FN_UPDATE_FASTREUSE, true,
       // 6.18 swapped the arguments: (tb, sk) -> (sk, tb, tb2)
       [](const Prototype& p) -> std::optional<std::string> {
         if (p.param_types.size() == 2 && p.param_types[0] == "struct inet_bind_bucket *") return "a2";
         // (sk, tb, tb2); the programs read only sk and tb, so any count from 2 up is theirs
         if (p.param_types.size() >= 2 && p.param_types[0] == "struct sock *" &&
             p.param_types[1] == "struct inet_bind_bucket *")
           return "a3";
         return std::nullopt;
       },
       "fentry__inet_csk_update_fastreuse__{v}", "fexit__inet_csk_update_fastreuse__{v}",
       "kprobe__inet_csk_update_fastreuse__{v}", "kretprobe__inet_csk_update_fastreuse"},
      {"inet_bind_bucket_destroy", TS_FN_BIND_BUCKET_DESTROY, true,
       // 6.15 dropped the cachep argument
       [](const Prototype& p) { return by_nargs(p, {{2, "a2"}, {1, "a1"}}); },
       "fentry__inet_bind_bucket_destroy__{v}", "", "kprobe__inet_bind_bucket_destroy__{v}", ""},
      {"inet_put_port", TS_FN_PUT_PORT, true, {}, "fentry__inet_put_port", "fexit__inet_put_port", "kprobe__inet_put_port",
       "kretprobe__inet_put_port"},
      {"inet_bind2_bucket_create", TS_FN_BIND2_BUCKET_CREATE, false,
       // 6.8 replaced (port, l3mdev) by tb
       [](const Prototype& p) { return by_nargs(p, {{6, "a6"}, {5, "a5"}}); },
       "", "fexit__inet_bind2_bucket_create__{v}", "", "kretprobe__inet_bind2_bucket_create"},
      {"inet_bind2_bucket_destroy", TS_FN_BIND2_BUCKET_DESTROY, false,
       [](const Prototype& p) -> std::optional<std::string> {
         if (p.param_types.size() == 2 && p.param_types[1] == "struct inet_bind2_bucket *") return "";
         return std::nullopt;
       },
       "fentry__inet_bind2_bucket_destroy", "", "kprobe__inet_bind2_bucket_destroy", ""},
      // an accepted socket's bhash2 bucket, where the kernel inlines inet_bind2_bucket_create
      // into it (6.1); (listener, child) on every lab kernel
      {"__inet_inherit_port", TS_FN_INHERIT_PORT, false, {}, "fentry____inet_inherit_port", "fexit____inet_inherit_port",
       "kprobe____inet_inherit_port", "kretprobe____inet_inherit_port"},
  };
  return s;
}

std::string expand(const char* pattern, const std::string& variant) {
  std::string s = pattern;
  auto pos = s.find("{v}");
  if (pos != std::string::npos) s.replace(pos, 3, variant);
  return s;
}

std::string errno_name(int err) {
  switch (err) {
    case EPERM: return "EPERM";
    case EACCES: return "EACCES";
    case ENOENT: return "ENOENT";
    case EINVAL: return "EINVAL";
    case ENOTSUPP_LINUX: return "ENOTSUPP";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case ESRCH: return "ESRCH";
    case EBUSY: return "EBUSY";
    case E2BIG: return "E2BIG";
    default: return "errno " + std::to_string(err);
  }
}

}  // namespace

const char* to_string(Mechanism m) {
  switch (m) {
    case Mechanism::Fentry: return "fentry";
    case Mechanism::Kprobe: return "kprobe";
    case Mechanism::None: return "none";
  }
  return "none";
}

std::vector<std::pair<unsigned, std::string>> traced_function_ids() {
  std::vector<std::pair<unsigned, std::string>> v;
  for (const auto& s : specs()) v.emplace_back(s.ts_fn, s.function);
  return v;
}

std::vector<std::string> traced_functions() {
  std::vector<std::string> v;
  for (const auto& s : specs()) v.emplace_back(s.function);
  return v;
}

std::string describe_attach_error(report::ProbeMechanism mechanism, const std::string& function, int err) {
  if (err < 0) err = -err;
  std::string what = std::string(report::name(mechanism)) + " on " + function;
  std::string head = what + " refused (" + errno_name(err) + ")";
  const std::string fix = "; run the quiz in a guest: --kernel 6.12";
  if (report::is_fentry_family(mechanism)) {
    if (err == EPERM || err == EACCES)
      return head + ": this kernel forbids BPF tracing programs (or this process lacks CAP_BPF+CAP_PERFMON)" + fix;
    if (err == ENOTSUPP_LINUX || err == EOPNOTSUPP || err == EINVAL)
      return head + ": this kernel has no BPF trampolines for it (needs CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS, x86_64 5.5+)";
    if (err == ESRCH || err == ENOENT)
      return head + ": the function is not in the kernel's BTF (inlined or renamed)";
    return head + ": " + std::strerror(err);
  }
  if (err == ENOENT || err == EOPNOTSUPP || err == ENOTSUPP_LINUX)
    return what + " failed (" + errno_name(err) + "): this kernel has no kprobes or no such symbol (needs CONFIG_KPROBES=y and " + function + " in /proc/kallsyms)" + fix;
  if (err == EPERM || err == EACCES)
    return what + " failed (" + errno_name(err) + "): not allowed (needs CAP_PERFMON+CAP_BPF or root)" + fix;
  return what + " failed (" + errno_name(err) + "): " + std::strerror(err);
}

std::vector<FunctionPlan> make_attach_plan(const KernelAccess& kernel, const PlanOptions& options) {
  std::vector<FunctionPlan> plans;
  for (const auto& s : specs()) {
    FunctionPlan fp;
    fp.function = s.function;
    fp.required = s.required;
    auto proto = kernel.prototype(s.function);
    if (!proto) {
      fp.error = std::string(s.function) + " is not in this kernel's BTF (absent before its introduction, or inlined)";
      plans.push_back(std::move(fp));
      continue;
    }
    if (s.variant) {
      auto v = s.variant(*proto);
      if (!v) {
        std::string sig;
        for (size_t i = 0; i < proto->param_types.size(); ++i)
          sig += (i ? ", " : "") + proto->param_types[i] + (proto->param_types[i].ends_with("*") ? "" : " ") +
                 proto->param_names[i];
        fp.error = std::string(s.function) + "(" + sig + "): prototype unknown to this tristate build";
        plans.push_back(std::move(fp));
        continue;
      }
      fp.variant = *v;
    }
    bool has_fentry = *s.fentry || *s.fexit;
    bool use_fentry = false;
    const auto refused = options.fentry_refused.find(s.function);
    if (refused != options.fentry_refused.end()) {
      fp.fentry_error = refused->second;
    } else if (has_fentry && !options.force_kprobe) {
      int err = kernel.try_fentry(s.function);
      if (err == 0)
        use_fentry = true;
      else
        fp.fentry_error = describe_attach_error(report::ProbeMechanism::fentry, s.function, err);
    }
    if (use_fentry) {
      fp.mechanism = Mechanism::Fentry;
      if (*s.fentry) fp.programs.push_back({expand(s.fentry, fp.variant), report::ProbeMechanism::fentry});
      if (*s.fexit) fp.programs.push_back({expand(s.fexit, fp.variant), report::ProbeMechanism::fexit});
    } else {
      fp.mechanism = Mechanism::Kprobe;
      if (*s.kprobe) fp.programs.push_back({expand(s.kprobe, fp.variant), report::ProbeMechanism::kprobe});
      if (*s.kretprobe) fp.programs.push_back({expand(s.kretprobe, fp.variant), report::ProbeMechanism::kretprobe});
    }
    plans.push_back(std::move(fp));
  }
  return plans;
}

}  // namespace tristate::trace
