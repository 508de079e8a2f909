#include "cli/privileges.hpp"

#include <spdlog/spdlog.h>

#include "trace/capabilities.hpp"

namespace tristate::cli {

bool lacks_bpf_privileges() { return !trace::check_privileges().ok; }

std::string privileges_first(const std::string& message, const std::string& alternative) {
  const trace::Check p = trace::check_privileges();
  if (p.ok) return message;
  spdlog::debug("the kernel's answer: {}", message);
  return "this process lacks the privileges BPF needs (" + p.detail + "): run tristate as root" + alternative;
}

}  // namespace tristate::cli
