// Our libbpf section handlers: "tsfentry/<function>" and "tsfexit/<function>" (bpf/tristate.bpf.c)
// and "tsiter/<target>" (bpf/snapshot.bpf.c, bpf/ports.bpf.c). libbpf's own "fentry/" and
// "iter/" handlers read and parse the kernel's whole BTF to find every program's attach target
// (5.4 MB on 6.18; in a lab guest under TCG ~35 ms to parse, then a scan of ~100,000 types per
// program), even when CO-RE relocates against a minimal BTF. These sections are opened as
// socket filters, which need no kernel BTF, and become fentry/fexit/iterator programs just
// before libbpf loads them, attached to a BTF id the caller already has (the attach plan's, or
// the per-kernel cache's).
#pragma once

#include <map>
#include <string>
#include <vector>

namespace tristate::trace {

// Registers the three section handlers with libbpf; once per process, before an object opens.
void register_btf_id_sections();

// The BTF ids in vmlinux of the kernel functions `names` ("inet_csk_get_port",
// "bpf_iter_task_file": a tsiter/T section attaches to bpf_iter_T) for the loads that follow;
// a name of `names` missing from `ids` fails its program's load with ESRCH. Names outside
// `names` keep what an earlier call set. Process-wide, behind a mutex: libbpf's section handlers
// are registered once per process with a fixed cookie, so the ids cannot travel with the object
// being loaded.
void set_btf_id_targets(const std::vector<std::string>& names, const std::map<std::string, int>& ids);

}  // namespace tristate::trace
