// Which accelerator a lab guest gets: KVM or TCG (qemu's software emulation).
//
// /dev/kvm alone is no proof that KVM can run a stock Debian kernel. Seen on our machines: a
// /dev/kvm served by kvm_pvm (a paravirtual KVM that runs only guest kernels built for it),
// on a CPU without vmx/svm. A Debian kernel there sat silent for minutes, then stopped with
// "KVM internal error. Suberror: 1 ... emulation failure" on a lock cmpxchg16b, and qemu
// stayed paused. So KVM is used only where the CPU advertises hardware virtualization, as
// cpu-checker's kvm-ok decides, and TRISTATE_ACCEL=kvm|tcg|auto overrides the choice.
#pragma once

#include <string>
#include <string_view>

namespace tristate::lab {

struct Accel {
  bool kvm = false;
  bool forced = false;  // TRISTATE_ACCEL named it: no fallback
  std::string why;  // for the progress line when KVM is passed over ("" when nothing to say)
};

// Pure: `accel_env` is TRISTATE_ACCEL's value ("" when unset), `cpuinfo` the text of
// /proc/cpuinfo, `dev_kvm` whether /dev/kvm opens read-write. Throws std::invalid_argument
// for an accel_env that is not kvm, tcg or auto, and for kvm without a usable /dev/kvm.
Accel choose_accel(std::string_view accel_env, std::string_view cpuinfo, bool dev_kvm);

// The same for this machine.
Accel choose_accel();

// True for the console line qemu prints when KVM cannot go on (the guest is then paused,
// not stopped: qemu must be killed).
bool is_kvm_failure(std::string_view console_line);

}  // namespace tristate::lab
