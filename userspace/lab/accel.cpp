#include "lab/accel.hpp"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace tristate::lab {
namespace {

// The first "flags" line of /proc/cpuinfo holds vmx (Intel) or svm (AMD) as a whole word.
bool cpu_has_virtualization(std::string_view cpuinfo) {
  std::size_t at = 0;
  while (at < cpuinfo.size()) {
    std::size_t end = cpuinfo.find('\n', at);
    if (end == std::string_view::npos) end = cpuinfo.size();
    std::string_view line = cpuinfo.substr(at, end - at);
    at = end + 1;
    if (line.substr(0, 5) != "flags") continue;
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::istringstream words{std::string(line.substr(colon + 1))};
    for (std::string w; words >> w;)
      if (w == "vmx" || w == "svm") return true;
    return false;
  }
  return false;
}

}  // namespace

Accel choose_accel(std::string_view accel_env, std::string_view cpuinfo, bool dev_kvm) {
  if (accel_env == "tcg") return {false, true, ""};
  const bool forced = accel_env == "kvm";
  if (!forced && !accel_env.empty() && accel_env != "auto")
    throw std::invalid_argument("TRISTATE_ACCEL='" + std::string(accel_env) + "': use kvm, tcg or auto");
  if (forced) {
    if (!dev_kvm)
      throw std::invalid_argument("TRISTATE_ACCEL=kvm, but /dev/kvm cannot be opened read-write "
                                  "(missing, or not root / not in group kvm)");
    return {true, true, ""};
  }
  if (!dev_kvm) return {false, false, ""};
  if (!cpu_has_virtualization(cpuinfo))
    return {false, false, "/dev/kvm is there but the CPU advertises no vmx/svm (a paravirtual KVM "
                   "cannot boot stock kernels): booting under TCG; TRISTATE_ACCEL=kvm forces KVM"};
  return {true, false, ""};
}

Accel choose_accel() {
  const char* env = std::getenv("TRISTATE_ACCEL");
  std::ifstream in("/proc/cpuinfo");
  std::stringstream text;
  text << in.rdbuf();
  return choose_accel(env ? env : "", text.str(), access("/dev/kvm", R_OK | W_OK) == 0);
}

bool is_kvm_failure(std::string_view line) { return line.find("KVM internal error") != std::string_view::npos; }

}  // namespace tristate::lab
