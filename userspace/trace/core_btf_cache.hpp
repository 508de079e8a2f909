// A minimal BTF for one BPF object's CO-RE relocations on the running kernel, made once per
// kernel build and object (`bpftool gen min_core_btf`) and kept in the user's cache.
//
// Why: libbpf relocates an object against the kernel's whole BTF (~125,000 types on 6.18) by
// scanning every type for each type the object names: ~15 ms of the ~30 ms the snapshot object
// took to load on the 6.18 host, for a quiz that runs in ~6 ms. Given a BTF holding only what
// the object reads (~2.4 KB), that step costs well under a millisecond.
//
// Never a wrong answer: the file is named after the kernel's GNU build id (/sys/kernel/notes)
// and the size of its BTF, and after a hash of the object's bytes (a minimal BTF leaves out
// every field the object did not read, so another object's `bpf_core_field_exists()` would
// get "no"). A kernel without a build id, a missing bpftool or cache directory: no file, and
// libbpf uses the whole BTF as before.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

struct btf;

namespace tristate::trace {

// The build id note's bytes as lowercase hex, "" when `notes` (the contents of
// /sys/kernel/notes: ELF notes back to back) holds no GNU build id. Pure.
std::string build_id_from_notes(std::string_view notes);

// "<build id>-<BTF size>": "" when the running kernel has no build id or no BTF.
std::string running_kernel_key();

// The cached minimal BTF for `object` (an ELF image, e.g. a skeleton's elf_bytes) on the
// running kernel, made first if need be; "" when none can be had. `name` names the file.
// TRISTATE_CORE_BTF=off: always "" (the whole BTF, as before).
std::string minimal_core_btf(std::string_view object, std::string_view name);

// The names the cache gives a kernel's files (`kernel_key` as running_kernel_key() says it):
// an object's minimal BTF, and the func-ids file. Pure.
std::string core_btf_file_name(std::string_view kernel_key, std::string_view object, std::string_view name);
std::string func_ids_file_name(std::string_view kernel_key);

// <cache>/btf/<file_name>, "" when there is no cache directory or TRISTATE_CORE_BTF=off.
std::string core_btf_cache_path(std::string_view file_name);

// `bpftool gen min_core_btf` of `object` against another kernel's BTF (a raw BTF file or an
// ELF with .BTF): the bytes, "" when it cannot be made (no bpftool, a failed run).
std::string minimal_core_btf_from(std::string_view object, const std::string& kernel_btf);

// The ids of the FUNCs `names` in `kernel`, and their lines of a func-ids file in `text`.
std::map<std::string, int> func_ids_in(const btf* kernel, const std::vector<std::string>& names, std::string* text);

// Removes a cached file libbpf refused, so that the next run makes it again.
void forget_core_btf(const std::string& path);

// The BTF ids of the kernel functions `names` (FUNC, e.g. "bpf_iter_task_file") in the running
// kernel's BTF: from `<cache>/btf/<kernel key>-func-ids.txt`, else found in the whole BTF (and
// cached when the kernel has a build id). A name the kernel lacks is left out; all left out
// when the BTF cannot be read. `refresh`: ignore the cached file and write it anew (a load
// with the cached ids failed).
std::map<std::string, int> kernel_func_ids(const std::vector<std::string>& names, bool refresh = false);

}  // namespace tristate::trace
