// Choosing KVM or TCG for lab guests (lab/accel.hpp).
#include <gtest/gtest.h>

#include <stdexcept>

#include "lab/accel.hpp"
#include "lab/guest.hpp"

using tristate::lab::choose_accel;

namespace {
const char* kVmx = "processor\t: 0\nflags\t\t: fpu vme de pse tsc msr vmx sse2 hypervisor\n";
// A machine of ours: /dev/kvm from kvm_pvm, no hardware virtualization flag.
const char* kPvm = "processor\t: 0\nflags\t\t: fpu vme de pse tsc msr sse2 hypervisor\n"
                   "bugs\t\t: svm_is_not_a_flag_here\n";
}  // namespace

TEST(LabAccel, KvmOnlyWithHardwareVirtualization) {
  EXPECT_TRUE(choose_accel("", kVmx, true).kvm);
  EXPECT_TRUE(choose_accel("auto", "flags : sse svm\n", true).kvm);
  auto pvm = choose_accel("", kPvm, true);
  EXPECT_FALSE(pvm.kvm);
  EXPECT_NE(pvm.why.find("no vmx/svm"), std::string::npos);
  EXPECT_FALSE(choose_accel("", kVmx, false).kvm);
  EXPECT_EQ(choose_accel("", kVmx, false).why, "");  // no /dev/kvm: nothing to explain
  EXPECT_FALSE(choose_accel("", "flags : vmxnet\n", true).kvm);  // a whole word only
}

TEST(LabAccel, OverrideAndBadValues) {
  auto tcg = choose_accel("tcg", kVmx, true);
  EXPECT_FALSE(tcg.kvm);
  EXPECT_TRUE(tcg.forced);
  auto kvm = choose_accel("kvm", kPvm, true);
  EXPECT_TRUE(kvm.kvm);
  EXPECT_TRUE(kvm.forced);
  EXPECT_FALSE(choose_accel("", kVmx, true).forced);
  EXPECT_THROW(choose_accel("kvm", kVmx, false), std::invalid_argument);
  try {
    choose_accel("hvf", kVmx, true);
    FAIL() << "hvf accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("TRISTATE_ACCEL='hvf'"), std::string::npos);
  }
}

TEST(LabAccel, KvmFailureLine) {
  EXPECT_TRUE(tristate::lab::is_kvm_failure("KVM internal error. Suberror: 1"));
  EXPECT_FALSE(tristate::lab::is_kvm_failure("[    0.000000] kvm-clock: Using msrs 4b564d01"));
}

// The bench's baseline must stay the boot as it was, and the fast line must keep what the
// decoder and panic handling rely on (the serial console, quiet printk, panic=-1).
TEST(LabGuest, KernelCommandLineSkipsUnusedWorkOnlyWhenNotPlain) {
  const std::string plain = tristate::lab::kernel_command_line(true);
  const std::string fast = tristate::lab::kernel_command_line(false);
  EXPECT_EQ(plain, "console=ttyS0 quiet panic=-1");
  EXPECT_EQ(fast.rfind(plain, 0), 0u) << fast;
  EXPECT_NE(fast.find(" cryptomgr.notests"), std::string::npos) << fast;
  EXPECT_NE(fast.find(" edd=off"), std::string::npos) << fast;
}
