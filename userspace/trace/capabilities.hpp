// What this machine lets tristate trace: the `tristate doctor` view. Probes the kernel for
// real (loads a tiny fentry program, opens a raw tracepoint) rather than guessing from its
// version: backports and lockdowns make versions lie.
#pragma once

#include <string>
#include <vector>

#include "report/kinds.hpp"

namespace tristate::trace {

struct Check {
  std::string name;    // "btf", "fentry", …
  bool ok = false;
  std::string detail;  // the reason for a no, or what was found for a yes
};

struct Capabilities {
  std::string kernel_release;
  std::vector<Check> checks;
  report::TraceMode mode = report::TraceMode::none;  // what a trace would use
  std::string mode_reason;

  const Check* find(const std::string& name) const;
};

// Whether kprobes exist at all (a kprobe PMU or tracefs kprobe_events; else the kernel
// config says why): a look at sysfs, no bpf() call.
Check probe_kprobes(const std::string& kernel_release);

// EPERM when the kernel refuses BPF tracing programs before it even looks at what they would
// attach to (a lockdown, a hardened VM, or no CAP_BPF+CAP_PERFMON), else 0. Needs no BTF, so
// an untraceable kernel is recognised without parsing the kernel's BTF (~30-70 ms).
int probe_tracing_refused();

// Whether this process has CAP_BPF+CAP_PERFMON or CAP_SYS_ADMIN (effective): without them the
// kernel refuses every BPF program tristate loads with EPERM, whatever it would allow root.
Check check_privileges();

// Runs every probe once; cheap enough (a few bpf() calls) to run per `doctor`.
Capabilities probe_capabilities();

}  // namespace tristate::trace
