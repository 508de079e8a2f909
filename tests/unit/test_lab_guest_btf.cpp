// A guest kernel's BTF and notes taken from its cached image on the host (lab/guest_btf), and the
// files made from them shipped to every guest of a run, on synthetic kernels (rootless, no qemu).
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "lab/guest_btf.hpp"
#include "lab_test_util.hpp"

namespace fs = std::filesystem;
using namespace tristate::lab;
using namespace tristate::lab::testing;

namespace {

// An x86-64 ELF with section headers: the named sections' bytes, then .shstrtab.
std::string elf_with(const std::map<std::string, std::string>& sections) {
  std::string e(64, '\0');
  std::memcpy(e.data(), "\x7f" "ELF\x02\x01\x01", 7);
  put<std::uint16_t>(e, 0x12, 62);
  std::string names(1, '\0');
  struct Sec { std::uint32_t name; std::size_t at, size; };
  std::vector<Sec> secs;
  for (const auto& [name, body] : sections) {
    secs.push_back({static_cast<std::uint32_t>(names.size()), e.size(), body.size()});
    names += name + '\0';
    e += body;
  }
  secs.push_back({static_cast<std::uint32_t>(names.size()), e.size(), 0});
  names += std::string(".shstrtab") + '\0';
  secs.back().size = names.size();
  e += names;
  const std::size_t shoff = e.size();
  e += std::string(64, '\0');  // the null section
  for (const auto& s : secs) {
    std::string h(64, '\0');
    put<std::uint32_t>(h, 0, s.name);
    put<std::uint32_t>(h, 4, 1);  // SHT_PROGBITS
    put<std::uint64_t>(h, 24, s.at);
    put<std::uint64_t>(h, 32, s.size);
    e += h;
  }
  put<std::uint64_t>(e, 0x28, shoff);
  put<std::uint16_t>(e, 0x3a, 64);
  put<std::uint16_t>(e, 0x3c, static_cast<std::uint16_t>(secs.size() + 1));
  put<std::uint16_t>(e, 0x3e, static_cast<std::uint16_t>(secs.size()));
  return e;
}

const std::string kBtf = std::string("\x9f\xeb\x01\x00", 4) + std::string(60, 'b');
const std::string kNotes = std::string(12, '\x04') + "GNU" + std::string(9, 'n');

}  // namespace

TEST(LabGuestBtf, BtfAndNotesComeFromTheCompressedPayloadOnce) {
  TempDir t;
  const Kernel k = cached_kernel(t.path / "kernels" / "linux-image-x",
                                 bzimage(gzip(elf_with({{".BTF", kBtf}, {".notes", kNotes}, {".text", "xyz"}}))));
  std::string why;
  const auto got = guest_kernel_btf(k, &why);
  ASSERT_TRUE(got) << why;
  EXPECT_EQ(got->btf, k.vmlinuz.parent_path() / "vmlinux.btf");
  EXPECT_EQ(slurp(got->btf), kBtf);
  EXPECT_EQ(got->notes, kNotes);
  for (auto& e : fs::directory_iterator(k.vmlinuz.parent_path()))  // no work file stays
    EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << e.path();
  // made once: the image no longer matters
  std::ofstream(k.vmlinuz, std::ios::binary | std::ios::trunc) << "gone";
  const auto again = guest_kernel_btf(k, &why);
  ASSERT_TRUE(again) << why;
  EXPECT_EQ(again->notes, kNotes);
}

TEST(LabGuestBtf, NoneWithoutBtfOrForAKernelGivenByPath) {
  TempDir t;
  std::string why;
  const Kernel bare = cached_kernel(t.path / "kernels" / "a", bzimage(gzip(elf_with({{".notes", kNotes}}))));
  EXPECT_FALSE(guest_kernel_btf(bare, &why));
  EXPECT_NE(why.find(".BTF"), std::string::npos) << why;
  EXPECT_FALSE(fs::exists(bare.vmlinuz.parent_path() / "vmlinux.btf"));
  const Kernel given = cached_kernel(t.path / "mine", bzimage(gzip(elf_with({{".BTF", kBtf}, {".notes", kNotes}}))), "path");
  EXPECT_FALSE(guest_kernel_btf(given, &why));
  EXPECT_FALSE(fs::exists(given.vmlinuz.parent_path() / "vmlinux.btf"));  // nothing next to the user's file
}

TEST(LabGuestBtf, EveryGuestGetsEveryKernelsFilesMadeOncePerKernel) {
  TempDir t;
  const Kernel a = cached_kernel(t.path / "kernels" / "a", bzimage(gzip(elf_with({{".BTF", kBtf}, {".notes", "A"}}))));
  const Kernel b = cached_kernel(t.path / "kernels" / "b", bzimage(gzip(elf_with({{".BTF", kBtf + "x"}, {".notes", "B"}}))));
  const Kernel c = cached_kernel(t.path / "kernels" / "c", bzimage(gzip(elf_with({{".text", "no btf"}}))));
  std::vector<GuestJob> jobs{{a, {}}, {b, {}}, {a, {}}, {c, {}}};
  std::map<std::string, int> calls;
  add_guest_btf(jobs, [&](const GuestKernelBtf& k, const fs::path& dir) {
    ++calls[k.notes];
    std::ofstream(dir / (k.notes + "-file.txt")) << slurp(k.btf).size();
    return std::vector<std::string>{k.notes + "-file.txt"};
  });
  EXPECT_EQ(calls, (std::map<std::string, int>{{"A", 1}, {"B", 1}}));  // c has no BTF: skipped
  for (const auto& job : jobs) {
    ASSERT_EQ(job.request.files.size(), 2u);
    EXPECT_EQ(job.request.files[0].guest_path, std::string(kGuestBtfDir) + "/A-file.txt");
    EXPECT_EQ(job.request.files[1].guest_path, std::string(kGuestBtfDir) + "/B-file.txt");
    EXPECT_EQ(slurp(job.request.files[1].host_path), std::to_string(kBtf.size() + 1));
  }
}
