#include "trace/kernel_btf.hpp"

#include "util/unique_fd.hpp"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace tristate::trace {
namespace {

// "struct sock *", "u16", "const char *": enough to tell prototypes apart.
std::string type_name(const struct btf* btf, __u32 id) {
  std::string suffix;
  for (int depth = 0; depth < 16; ++depth) {
    if (id == 0) return "void" + suffix;
    const struct btf_type* t = btf__type_by_id(btf, id);
    if (!t) return "?";
    switch (btf_kind(t)) {
      case BTF_KIND_PTR:
        suffix = " *" + suffix;
        id = t->type;
        continue;
      case BTF_KIND_CONST:
      case BTF_KIND_VOLATILE:
      case BTF_KIND_RESTRICT:
      case BTF_KIND_TYPE_TAG:
        id = t->type;
        continue;
      case BTF_KIND_STRUCT:
        return "struct " + std::string(btf__name_by_offset(btf, t->name_off)) + suffix;
      case BTF_KIND_UNION:
        return "union " + std::string(btf__name_by_offset(btf, t->name_off)) + suffix;
      case BTF_KIND_FUNC_PROTO:
        return "fn" + suffix;
      default:
        return std::string(btf__name_by_offset(btf, t->name_off)) + suffix;
    }
  }
  return "?";
}

}  // namespace

LiveKernel::LiveKernel() {
  btf_ = btf__load_vmlinux_btf();
  if (!btf_) {
    throw std::runtime_error(std::string("cannot read the kernel's BTF (/sys/kernel/btf/vmlinux): ") +
                             std::strerror(errno) + "; the tracer needs CONFIG_DEBUG_INFO_BTF=y");
  }
}

LiveKernel::LiveKernel(const std::string& btf_path) {
  btf_ = btf__parse(btf_path.c_str(), nullptr);
  if (!btf_) throw std::runtime_error("cannot read the BTF of " + btf_path + ": " + std::strerror(errno));
}

LiveKernel::~LiveKernel() { btf__free(btf_); }

int LiveKernel::func_id(const std::string& function) const {
  // btf__find_by_name_kind scans all ~100k types per call (6 ms each under TCG, two calls
  // per traced function): index the functions once instead.
  if (funcs_.empty()) {
    const __u32 n = btf__type_cnt(btf_);
    for (__u32 id = 1; id < n; ++id) {
      const struct btf_type* t = btf__type_by_id(btf_, id);
      if (btf_is_func(t)) funcs_.emplace(btf__name_by_offset(btf_, t->name_off), static_cast<int>(id));
    }
  }
  auto it = funcs_.find(function);
  return it == funcs_.end() ? -ENOENT : it->second;
}

std::optional<Prototype> LiveKernel::prototype(const std::string& function) const {
  int id = func_id(function);
  if (id < 0) return std::nullopt;
  const struct btf_type* fn = btf__type_by_id(btf_, id);
  const struct btf_type* proto = btf__type_by_id(btf_, fn->type);
  if (!proto || !btf_is_func_proto(proto)) return std::nullopt;
  Prototype p;
  const struct btf_param* params = btf_params(proto);
  for (int i = 0; i < btf_vlen(proto); ++i) {
    p.param_names.emplace_back(btf__name_by_offset(btf_, params[i].name_off));
    p.param_types.push_back(type_name(btf_, params[i].type));
  }
  return p;
}

int LiveKernel::try_fentry(const std::string& function) const {
  int id = func_id(function);
  if (id < 0) return -ENOENT;
  // Load only: an attach+detach waits for RCU-tasks grace periods (~0.3 s of a lab guest's
  // start under TCG), and the tracer's own attach finds a refused trampoline anyway.
  return try_tracing_load(id, BPF_TRACE_FENTRY);
}

int load_tracing_prog(int btf_id, int attach_type) {
  const struct bpf_insn insns[] = {
      {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0},
      {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
  };
  LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = static_cast<bpf_attach_type>(attach_type),
              .attach_btf_id = static_cast<__u32>(btf_id));
  return bpf_prog_load(BPF_PROG_TYPE_TRACING, "ts_probe", "GPL", insns, 2, &opts);
}

int try_tracing_load(int btf_id, int attach_type) {
  const int prog = load_tracing_prog(btf_id, attach_type);
  if (prog < 0) return prog;
  const util::UniqueFd owned(prog);
  return 0;
}

int try_tracing_attach(int btf_id, int attach_type) {
  const int prog = load_tracing_prog(btf_id, attach_type);
  if (prog < 0) return prog;
  const util::UniqueFd owned(prog);
  const int link = bpf_raw_tracepoint_open(nullptr, prog);
  const util::UniqueFd link_owned(link);  // a negative one is not closed
  return link < 0 ? link : 0;
}

}  // namespace tristate::trace
