// The per-kernel files of the BTF cache (trace/core_btf_cache), made for a kernel this process
// does not run on: a lab guest's, from its BTF extracted on the host (lab/guest_btf), so that
// the guest's tristate finds them in its cache instead of parsing its kernel's whole BTF.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace tristate::trace {

// Into `dir` (kept there: made once per kernel and build of the objects), under the names a
// tristate running on that kernel looks up: the snapshot and tracer objects' minimal BTFs,
// the iterators' func-ids file and the traced functions' file (trace/kernel_functions). `kernel_btf`: the bytes of that kernel's /sys/kernel/btf/vmlinux; `notes`:
// its /sys/kernel/notes. Returns the names of the files made or found; none without a build id
// in `notes`, or where bpftool cannot make them.
std::vector<std::string> make_guest_core_btf(const std::filesystem::path& kernel_btf, std::string_view notes,
                                             const std::filesystem::path& dir);

}  // namespace tristate::trace
