#include "trace/fentry_sections.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <string_view>

namespace tristate::trace {
namespace {

constexpr std::string_view kFentry = "tsfentry/", kFexit = "tsfexit/";

std::mutex targets_mutex;
std::map<std::string, int> targets;

int prepare_load(bpf_program* prog, bpf_prog_load_opts* opts, long cookie) {
  const auto type = static_cast<bpf_attach_type>(cookie);
  const std::string_view section = bpf_program__section_name(prog);
  const std::string function(section.substr(type == BPF_TRACE_FENTRY ? kFentry.size() : kFexit.size()));
  int id = 0;
  {
    std::lock_guard lock(targets_mutex);
    const auto it = targets.find(function);
    if (it == targets.end()) return -ESRCH;
    id = it->second;
  }
  // The program itself keeps the type too: bpf_program__attach_trace() links with it.
  if (int err = bpf_program__set_type(prog, BPF_PROG_TYPE_TRACING); err) return err;
  if (int err = bpf_program__set_expected_attach_type(prog, type); err) return err;
  opts->expected_attach_type = type;
  opts->attach_btf_id = static_cast<__u32>(id);
  opts->attach_btf_obj_fd = 0;  // vmlinux
  return 0;
}

int attach(const bpf_program* prog, long /*cookie*/, bpf_link** link) {
  *link = bpf_program__attach_trace(prog);
  return *link ? 0 : -errno;
}

}  // namespace

void register_fentry_sections() {
  static std::once_flag once;
  std::call_once(once, [] {
    LIBBPF_OPTS(libbpf_prog_handler_opts, fentry, .cookie = BPF_TRACE_FENTRY, .prog_prepare_load_fn = prepare_load,
                .prog_attach_fn = attach);
    LIBBPF_OPTS(libbpf_prog_handler_opts, fexit, .cookie = BPF_TRACE_FEXIT, .prog_prepare_load_fn = prepare_load,
                .prog_attach_fn = attach);
    libbpf_register_prog_handler(std::string(kFentry).c_str(), BPF_PROG_TYPE_SOCKET_FILTER, BPF_CGROUP_INET_INGRESS, &fentry);
    libbpf_register_prog_handler(std::string(kFexit).c_str(), BPF_PROG_TYPE_SOCKET_FILTER, BPF_CGROUP_INET_INGRESS, &fexit);
  });
}

void set_fentry_targets(std::map<std::string, int> ids) {
  std::lock_guard lock(targets_mutex);
  targets = std::move(ids);
}

}  // namespace tristate::trace
