// The "tsfentry/<function>" and "tsfexit/<function>" sections of bpf/tristate.bpf.c. libbpf's
// own "fentry/" handler reads and parses the kernel's whole BTF to find every program's attach
// target (in a lab guest under TCG: ~35 ms to parse, then a scan of ~100,000 types per program),
// even when CO-RE relocates against a minimal BTF. These sections are opened as socket filters,
// which need no kernel BTF, and become fentry/fexit programs just before libbpf loads them,
// attached to the BTF id the attach plan already looked up.
#pragma once

#include <map>
#include <string>

namespace tristate::trace {

// Registers the two section handlers with libbpf; once per process, before the object opens.
void register_fentry_sections();

// The traced functions' BTF ids (function -> id in vmlinux) for the loads that follow: a
// program whose function is not in it fails to load with ESRCH. Process-wide, behind a mutex:
// libbpf's section handlers are registered once per process with a fixed cookie, so the ids
// cannot travel with the object being loaded.
void set_fentry_targets(std::map<std::string, int> ids);

}  // namespace tristate::trace
