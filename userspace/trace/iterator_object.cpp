#include "trace/iterator_object.hpp"

#include <chrono>
#include <cstring>

#include "trace/btf_id_sections.hpp"
#include "trace/core_btf_cache.hpp"
#include "trace/core_object.hpp"
#include "trace/tracer.hpp"

namespace tristate::trace {
namespace {

void set_iter_ids(bool refresh) {
  const auto names = iterator_functions();
  set_btf_id_targets(names, kernel_func_ids(names, refresh));
}

}  // namespace

std::vector<std::string> iterator_functions() { return {"bpf_iter_task_file", "bpf_iter_tcp"}; }

Result<CoreLoad> load_iterator_object(std::string_view elf, std::string_view name, std::size_t variants,
                                      const IteratorAttempt& attempt) {
  const auto t0 = std::chrono::steady_clock::now();
  route_libbpf_logs_to_spdlog();
  register_btf_id_sections();
  set_iter_ids(false);
  auto errno_attempt = [&](const bpf_object_open_opts& opts, std::size_t variant) -> Result<void> {
    if (const int err = attempt(opts, variant); err != 0) return Error{std::strerror(-err)};
    return {};
  };
  // what the caches said may be what failed: the whole-BTF pass asks the kernel again
  auto loaded = load_core_object(minimal_core_btf(elf, name), variants, errno_attempt, [] { set_iter_ids(true); });
  if (loaded)  // the ids and the minimal BTF included
    loaded.value().ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return loaded;
}

}  // namespace tristate::trace
