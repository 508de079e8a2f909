#include "trace/iterator_object.hpp"

#include <bpf/bpf.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <mutex>

#include "trace/core_btf_cache.hpp"
#include "trace/tracer.hpp"

namespace tristate::trace {
namespace {

constexpr const char* kIterSection = "tsiter/";

// What prepare_iterator_load() reads. libbpf calls a section handler with no context of the
// load it serves (its cookie is fixed when the handler is registered, once per process), so
// the ids are process-wide; every object's iterators attach to the same few functions, and a
// load sets them before it starts.
std::mutex iter_ids_mutex;
std::map<std::string, int> iter_ids;  // "bpf_iter_task_file" -> its BTF id

int prepare_iterator_load(bpf_program* prog, bpf_prog_load_opts* opts, long /*cookie*/) {
  const std::string target = std::string("bpf_iter_") + (bpf_program__section_name(prog) + std::strlen(kIterSection));
  std::lock_guard lock(iter_ids_mutex);
  const auto id = iter_ids.find(target);
  if (id == iter_ids.end()) return -ESRCH;  // this kernel's BTF has no such iterator
  if (int err = bpf_program__set_type(prog, BPF_PROG_TYPE_TRACING); err) return err;
  opts->expected_attach_type = BPF_TRACE_ITER;
  opts->attach_btf_id = static_cast<__u32>(id->second);
  opts->attach_btf_obj_fd = 0;  // vmlinux
  return 0;
}

void register_iterator_section() {
  static std::once_flag once;
  std::call_once(once, [] {
    LIBBPF_OPTS(libbpf_prog_handler_opts, handler, .prog_prepare_load_fn = prepare_iterator_load);
    libbpf_register_prog_handler(kIterSection, BPF_PROG_TYPE_SOCKET_FILTER, BPF_CGROUP_INET_INGRESS, &handler);
  });
}

void set_iter_ids(bool refresh) {
  auto ids = kernel_func_ids(iterator_functions(), refresh);
  std::lock_guard lock(iter_ids_mutex);
  iter_ids = std::move(ids);
}

}  // namespace

std::vector<std::string> iterator_functions() { return {"bpf_iter_task_file", "bpf_iter_tcp"}; }

Result<IteratorLoad> load_iterator_object(std::string_view elf, std::string_view name, std::size_t variants,
                                          const IteratorAttempt& attempt) {
  route_libbpf_logs_to_spdlog();
  register_iterator_section();
  const auto t0 = std::chrono::steady_clock::now();
  set_iter_ids(false);
  const std::string core_btf = minimal_core_btf(elf, name);
  std::string first_error;
  for (std::size_t n = 0; n < 2 * variants; ++n) {
    if (n == variants) {  // what the caches said may be what failed
      first_error.clear();
      set_iter_ids(true);
    }
    const bool whole_btf = n >= variants || core_btf.empty();
    LIBBPF_OPTS(bpf_object_open_opts, opts, .btf_custom_path = whole_btf ? nullptr : core_btf.c_str());
    if (int err = attempt(opts, n % variants); err != 0) {
      if (first_error.empty()) first_error = std::strerror(-err);
      continue;
    }
    if (whole_btf && !core_btf.empty()) forget_core_btf(core_btf);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    return IteratorLoad{n % variants, whole_btf, n + 1, ms};
  }
  return Error{first_error};
}

}  // namespace tristate::trace
