// Loading a BPF object whose programs are iterators in "tsiter/<target>" sections
// (bpf/snapshot.bpf.c, bpf/ports.bpf.c) without reading the kernel's whole BTF where the
// per-kernel caches can answer:
// - the iterators' attach targets (the BTF ids of bpf_iter_task_file, bpf_iter_tcp) come from
//   kernel_func_ids(). libbpf's own "iter/" handler reads and parses the kernel's whole BTF
//   (5.4 MB on 6.18) for every iterator program only to find that id: two thirds of such an
//   object's load once CO-RE uses a minimal BTF, and most of `tristate ports`' 57 ms. The
//   sections are handled by trace/btf_id_sections, with the tracer's;
// - CO-RE relocates against the object's cached minimal BTF (minimal_core_btf()).
// Where a load with the caches fails, every variant is tried again with both taken from the
// whole BTF, and a minimal BTF that lost is removed (to be made again next time).
#pragma once

#include <bpf/libbpf.h>

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "trace/core_object.hpp"
#include "trace/result.hpp"

namespace tristate::trace {

// The kernel functions whose BTF ids the "tsiter/" sections attach to.
std::vector<std::string> iterator_functions();

// One attempt, as a CoreAttempt (trace/core_object.hpp): 0, or a negative errno.
using IteratorAttempt = std::function<int(const bpf_object_open_opts& opts, std::size_t variant)>;

// Tries variants 0 .. variants-1 with the caches, then again from the whole BTF with the ids
// asked anew (load_core_object). `elf` is the object's bytes (a skeleton's elf_bytes), `name`
// names its cached minimal BTF. The error is a strerror().
Result<CoreLoad> load_iterator_object(std::string_view elf, std::string_view name, std::size_t variants,
                                      const IteratorAttempt& attempt);

}  // namespace tristate::trace
