#include "trace/core_object.hpp"

#include <chrono>
#include <optional>

#include <spdlog/spdlog.h>

#include "trace/core_btf_cache.hpp"

namespace tristate::trace {

Result<CoreLoad> load_core_object(const std::string& core_btf, std::size_t variants, const CoreAttempt& attempt,
                                  const std::function<void()>& before_whole_btf) {
  const auto t0 = std::chrono::steady_clock::now();
  const std::size_t passes = core_btf.empty() && !before_whole_btf ? 1 : 2;
  std::optional<Error> first_error;
  std::size_t tries = 0;
  for (std::size_t pass = 0; pass < passes; ++pass) {
    const bool whole_btf = pass == 1 || core_btf.empty();
    if (pass == 1) {
      first_error.reset();
      if (before_whole_btf) before_whole_btf();
    }
    LIBBPF_OPTS(bpf_object_open_opts, opts, .btf_custom_path = whole_btf ? nullptr : core_btf.c_str());
    for (std::size_t v = 0; v < variants; ++v) {
      ++tries;
      if (auto loaded = attempt(opts, v); !loaded) {
        spdlog::debug("loading against {}, variant {}: {}", whole_btf ? "the kernel's BTF" : core_btf, v,
                      loaded.error().message);
        if (!first_error) first_error = loaded.error();
        continue;
      }
      if (whole_btf && !core_btf.empty()) forget_core_btf(core_btf);
      const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      return CoreLoad{v, whole_btf, tries, ms};
    }
  }
  return first_error ? *first_error : Error{"no variant to load"};
}

}  // namespace tristate::trace
