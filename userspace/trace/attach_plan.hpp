// Which BPF program of bpf/tristate.bpf.c runs for each traced kernel function, and with
// which mechanism. Pure logic over KernelAccess: unit-tested with a fake kernel.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "report/kinds.hpp"
#include "trace/kernel_btf.hpp"

namespace tristate::trace {

enum class Mechanism { Fentry, Kprobe, None };
const char* to_string(Mechanism m);

// One program to load and attach.
struct PlannedProgram {
  std::string name;  // the program's name in the skeleton
  report::ProbeMechanism mechanism = report::ProbeMechanism::none;
};

struct FunctionPlan {
  std::string function;
  bool required = true;       // the quizzes' story needs it; optional ones may be missing
  Mechanism mechanism = Mechanism::None;
  std::string variant;        // prototype variant picked from BTF ("" when only one)
  std::vector<PlannedProgram> programs;
  std::string error;          // why not fentry (fentry_error) or why not traced at all
  std::string fentry_error;   // set when fentry was tried and refused
};

struct PlanOptions {
  bool force_kprobe = false;  // --no-fentry: test the fallback on kernels that allow fentry
  // Functions whose fentry/fexit attach a previous attempt saw refused (function -> why):
  // planned with kprobes, the reason kept as fentry_error.
  std::map<std::string, std::string> fentry_refused;
};

// The functions tristate traces, in the order they are reported.
std::vector<std::string> traced_functions();
// The same with each one's TS_FN_ number (bpf/tristate.h), the name its events carry.
std::vector<std::pair<unsigned, std::string>> traced_function_ids();

std::vector<FunctionPlan> make_attach_plan(const KernelAccess& kernel, const PlanOptions& options);

// "fentry on __inet_hash_connect refused (EPERM): …; run the quiz in a guest: --kernel 6.12"
std::string describe_attach_error(report::ProbeMechanism mechanism, const std::string& function, int err);

}  // namespace tristate::trace
