// The kernel answers EPERM alike when it forbids BPF and when this process lacks the
// capabilities; only the second is fixed by sudo. An unprivileged user on a kernel that traces
// fine was told "this kernel forbids BPF tracing programs" or "-v prints the whole verifier
// log" and pointed at a lab guest. Where the process lacks them, that is the first thing said.
#pragma once

#include <string>

namespace tristate::cli {

// `message` unchanged when this process has CAP_BPF+CAP_PERFMON or CAP_SYS_ADMIN; else
// "this process lacks CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN; it has none): run tristate
// as root" + `alternative` (e.g. "; a lab guest needs no root: --kernel 6.12"), with
// `message` logged at debug level (-v).
std::string privileges_first(const std::string& message, const std::string& alternative = "");

// Whether privileges_first would rewrite a message (the process lacks the capabilities).
bool lacks_bpf_privileges();

}  // namespace tristate::cli
