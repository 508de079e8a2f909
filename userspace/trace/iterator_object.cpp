#include "trace/iterator_object.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>

#include "trace/btf_id_sections.hpp"
#include "trace/core_btf_cache.hpp"
#include "trace/tracer.hpp"

namespace tristate::trace {
namespace {

void set_iter_ids(bool refresh) {
  const auto names = iterator_functions();
  set_btf_id_targets(names, kernel_func_ids(names, refresh));
}

}  // namespace

std::vector<std::string> iterator_functions() { return {"bpf_iter_task_file", "bpf_iter_tcp"}; }

Result<IteratorLoad> load_iterator_object(std::string_view elf, std::string_view name, std::size_t variants,
                                          const IteratorAttempt& attempt) {
  route_libbpf_logs_to_spdlog();
  register_btf_id_sections();
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
