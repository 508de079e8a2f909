#include "trace/btf_id_sections.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <string_view>

namespace tristate::trace {
namespace {

// A section kind: its prefix, what its programs become, and how the rest of the section name
// becomes the kernel function whose BTF id they attach to.
struct SectionKind {
  std::string_view prefix;
  bpf_attach_type type;
  std::string_view target_prefix;
};
constexpr SectionKind kKinds[] = {
    {"tsfentry/", BPF_TRACE_FENTRY, ""},
    {"tsfexit/", BPF_TRACE_FEXIT, ""},
    {"tsiter/", BPF_TRACE_ITER, "bpf_iter_"},
};

std::mutex targets_mutex;
std::map<std::string, int> targets;

int prepare_load(bpf_program* prog, bpf_prog_load_opts* opts, long cookie) {
  const SectionKind& kind = kKinds[cookie];
  const std::string_view section = bpf_program__section_name(prog);
  const std::string function = std::string(kind.target_prefix) + std::string(section.substr(kind.prefix.size()));
  int id = 0;
  {
    std::lock_guard lock(targets_mutex);
    const auto it = targets.find(function);
    if (it == targets.end()) return -ESRCH;  // this kernel's BTF has no such function
    id = it->second;
  }
  // The program itself keeps the type too: bpf_program__attach_trace() links with it.
  if (int err = bpf_program__set_type(prog, BPF_PROG_TYPE_TRACING); err) return err;
  if (int err = bpf_program__set_expected_attach_type(prog, kind.type); err) return err;
  opts->expected_attach_type = kind.type;
  opts->attach_btf_id = static_cast<__u32>(id);
  opts->attach_btf_obj_fd = 0;  // vmlinux
  return 0;
}

int attach_trace(const bpf_program* prog, long /*cookie*/, bpf_link** link) {
  *link = bpf_program__attach_trace(prog);
  return *link ? 0 : -errno;
}

}  // namespace

void register_btf_id_sections() {
  static std::once_flag once;
  std::call_once(once, [] {
    for (std::size_t k = 0; k < std::size(kKinds); ++k) {
      // iterators are attached by their users (bpf_program__attach_iter, per reader)
      const bool trace = kKinds[k].type != BPF_TRACE_ITER;
      LIBBPF_OPTS(libbpf_prog_handler_opts, handler, .cookie = static_cast<long>(k),
                  .prog_prepare_load_fn = prepare_load, .prog_attach_fn = trace ? attach_trace : nullptr);
      libbpf_register_prog_handler(std::string(kKinds[k].prefix).c_str(), BPF_PROG_TYPE_SOCKET_FILTER,
                                   BPF_CGROUP_INET_INGRESS, &handler);
    }
  });
}

void set_btf_id_targets(const std::vector<std::string>& names, const std::map<std::string, int>& ids) {
  std::lock_guard lock(targets_mutex);
  for (const auto& name : names) {
    const auto it = ids.find(name);
    if (it == ids.end())
      targets.erase(name);
    else
      targets[name] = it->second;
  }
}

}  // namespace tristate::trace
