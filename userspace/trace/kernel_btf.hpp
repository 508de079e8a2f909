// What the running kernel offers the tracer, behind an interface so the attach plan can be
// unit-tested with a fake kernel (rootless) and driven by the real one in guests.
#pragma once

#include <cerrno>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

struct btf;

namespace tristate::trace {

// A kernel function's prototype as its BTF describes it.
struct Prototype {
  std::vector<std::string> param_names;
  std::vector<std::string> param_types;  // "struct sock *", "u16", …
};

class KernelAccess {
 public:
  virtual ~KernelAccess() = default;
  // nullopt when the function is not in the kernel's BTF (absent, renamed or inlined away).
  virtual std::optional<Prototype> prototype(const std::string& function) const = 0;
  // Loads a do-nothing fentry program on `function` (no attach): 0 or -errno. A kernel that
  // loads it but refuses the trampoline shows at the tracer's own attach, which then
  // falls back to kprobes for that function (Tracer::make).
  virtual int try_fentry(const std::string& function) const = 0;
  // BTF id of FUNC `function` in vmlinux, or -ENOENT: what a fentry/fexit program attaches to.
  virtual int func_id(const std::string& function) const {
    (void)function;
    return -ENOENT;
  }
};

// The running kernel: /sys/kernel/btf/vmlinux and the bpf() syscall.
class LiveKernel final : public KernelAccess {
 public:
  // Throws std::runtime_error when the kernel has no BTF (CO-RE needs it).
  LiveKernel();
  // Another kernel's BTF (a raw BTF or an ELF with .BTF), for its prototypes and ids only
  // (try_fentry asks the running kernel). Throws std::runtime_error when it cannot be read.
  explicit LiveKernel(const std::string& btf_path);
  ~LiveKernel() override;
  LiveKernel(const LiveKernel&) = delete;
  LiveKernel& operator=(const LiveKernel&) = delete;

  std::optional<Prototype> prototype(const std::string& function) const override;
  int try_fentry(const std::string& function) const override;
  int func_id(const std::string& function) const override;

 private:
  struct btf* btf_ = nullptr;
  mutable std::unordered_map<std::string_view, int> funcs_;  // names point into btf_
};

// A do-nothing BPF_PROG_TYPE_TRACING program of `attach_type` (BPF_TRACE_FENTRY/FEXIT) for
// BTF id `btf_id` of vmlinux, loaded, not attached: its fd, or -errno.
int load_tracing_prog(int btf_id, int attach_type);
// Loads a two-instruction tracing program of `attach_type` (BPF_TRACE_FENTRY/FEXIT) against
// BTF id `btf_id` of vmlinux and attaches it: 0 or -errno. Shared with the doctor.
int try_tracing_attach(int btf_id, int attach_type);
// The same, load only (no trampoline): 0 or -errno.
int try_tracing_load(int btf_id, int attach_type);

}  // namespace tristate::trace
