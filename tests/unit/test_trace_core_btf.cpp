// The key of the cached minimal BTF (trace/core_btf_cache): the kernel's GNU build id, read from
// /sys/kernel/notes. A wrong or empty key would reuse one kernel's BTF for another.
#include <elf.h>
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "trace/core_btf_cache.hpp"

namespace {

std::string note(std::uint32_t type, const std::string& name, const std::string& desc) {
  Elf64_Nhdr h{static_cast<Elf64_Word>(name.size()), static_cast<Elf64_Word>(desc.size()), type};
  std::string out(reinterpret_cast<const char*>(&h), sizeof h);
  auto pad = [](std::string s) { s.resize((s.size() + 3) & ~std::size_t{3}, '\0'); return s; };
  return out + pad(name) + pad(desc);
}

const std::string kGnu("GNU\0", 4);

}  // namespace

TEST(CoreBtfCache, BuildIdAfterOtherNotes) {
  // the kernel's notes hold Xen and Linux notes beside the build id, in any order
  const std::string notes = note(1, std::string("Xen\0", 4), "abcde") + note(6, std::string("Linux\0", 6), "x") +
                            note(NT_GNU_BUILD_ID, kGnu, "\x01\x23\xab\xff");
  EXPECT_EQ(tristate::trace::build_id_from_notes(notes), "0123abff");
}

TEST(CoreBtfCache, NoBuildIdIsEmpty) {
  EXPECT_EQ(tristate::trace::build_id_from_notes(""), "");
  EXPECT_EQ(tristate::trace::build_id_from_notes(note(1, std::string("Xen\0", 4), "abcd")), "");
  // the right type under another owner's name is not a build id
  EXPECT_EQ(tristate::trace::build_id_from_notes(note(NT_GNU_BUILD_ID, std::string("XYZ\0", 4), "ab")), "");
}

TEST(CoreBtfCache, TruncatedNotesAreEmpty) {
  std::string notes = note(NT_GNU_BUILD_ID, kGnu, std::string(20, '\x11'));
  notes.resize(notes.size() - 8);  // the descriptor runs past the end
  EXPECT_EQ(tristate::trace::build_id_from_notes(notes), "");
}

TEST(CoreBtfCache, RunningKernelKeyIsStable) {
  // where the kernel has a build id, the key names it and does not change between calls
  const std::string a = tristate::trace::running_kernel_key(), b = tristate::trace::running_kernel_key();
  EXPECT_EQ(a, b);
  if (!a.empty()) {
    EXPECT_NE(a.find('-'), std::string::npos);
  }
}
