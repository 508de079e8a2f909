// Loading a BPF object CO-RE-relocated against its cached minimal BTF (trace/core_btf_cache),
// and against the kernel's whole BTF where that fails. The tracer and the iterator objects
// (snapshot, ports) load this way.
//
// A minimal BTF, or an attach id from a per-kernel cache, can be what a load failed on (a
// stale file, a kernel rebuilt under the same build id): every variant is tried again from
// the whole BTF, after `before_whole_btf` (the iterators refresh their cached ids there), and
// a minimal BTF that lost is removed, to be made again next time.
#pragma once

#include <bpf/libbpf.h>

#include <cstddef>
#include <functional>
#include <string>

#include "trace/result.hpp"

namespace tristate::trace {

// One attempt: open the object with `opts`, set variant `variant` up (which programs load),
// load it and keep it. Variants are the caller's: an object that calls a helper the kernel
// lacks fails as a whole (5.10 has no bpf_sock_from_file()), so an older kernel's programs are
// a second variant of the same object.
using CoreAttempt = std::function<Result<void>(const bpf_object_open_opts& opts, std::size_t variant)>;

struct CoreLoad {
  std::size_t variant = 0;  // the variant that loaded
  bool whole_btf = false;   // loaded against the kernel's whole BTF
  std::size_t attempt = 0;  // 1 when the first try loaded
  double ms = 0;            // the whole load
};

// Tries variants 0 .. variants-1 against `core_btf` (a minimal BTF file; "" for none, the
// whole BTF), then, if none loaded, every variant again against the whole BTF. That second
// pass is skipped when the first already used the whole BTF and there is no
// `before_whole_btf`: it would repeat the same loads. The error is the first variant's of the
// last pass: the whole BTF's answer, for the newest kernel's programs.
Result<CoreLoad> load_core_object(const std::string& core_btf, std::size_t variants, const CoreAttempt& attempt,
                                  const std::function<void()>& before_whole_btf = {});

}  // namespace tristate::trace
