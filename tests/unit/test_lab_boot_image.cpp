// bzImage payloads and PVH ELF detection, and the cached uncompressed boot image, on
// synthetic kernels (rootless, no qemu).
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "lab/boot_image.hpp"
#include "lab/cache.hpp"
#include "lab_test_util.hpp"

namespace fs = std::filesystem;
using namespace tristate::lab;
using namespace tristate::lab::testing;

namespace {

// An x86-64 ELF with one PT_LOAD and one PT_NOTE holding a Xen note of `note_type`.
std::string elf(std::uint32_t note_type) {
  std::string note;
  put<std::uint32_t>(note, 0, 4);  // namesz
  put<std::uint32_t>(note, 4, 4);  // descsz
  put<std::uint32_t>(note, 8, note_type);
  note += std::string("Xen\0", 4);
  note += std::string("\x00\x00\x00\x01", 4);
  std::string e(64 + 2 * 56, '\0');
  std::memcpy(e.data(), "\x7f" "ELF\x02\x01\x01", 7);
  put<std::uint16_t>(e, 0x12, 62);
  put<std::uint64_t>(e, 0x20, 64);
  put<std::uint16_t>(e, 0x36, 56);
  put<std::uint16_t>(e, 0x38, 2);
  const std::size_t note_at = e.size();
  e += note;
  const std::size_t text_at = e.size();
  e += std::string(4096, '\x90');
  put<std::uint32_t>(e, 64, 1);  // PT_LOAD
  put<std::uint64_t>(e, 64 + 8, text_at);
  put<std::uint64_t>(e, 64 + 32, 4096);
  put<std::uint32_t>(e, 120, 4);  // PT_NOTE
  put<std::uint64_t>(e, 120 + 8, note_at);
  put<std::uint64_t>(e, 120 + 32, note.size());
  return e;
}

}  // namespace

TEST(LabBootImage, PayloadFromTheBootHeader) {
  const std::string gz = gzip(elf(18));
  const auto p = bzimage_payload(bzimage(gz));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->compression, "gzip");
  EXPECT_EQ(p->offset, 1024u + 0x100u);
  EXPECT_EQ(p->length, gz.size() + 4);
  EXPECT_FALSE(bzimage_payload("not a kernel"));
  std::string old = bzimage(gz);
  put<std::uint16_t>(old, 0x206, 0x207);  // before payload_offset existed
  EXPECT_FALSE(bzimage_payload(old));
  std::string lying = bzimage(gz);
  put<std::uint32_t>(lying, 0x24c, 1u << 30);  // payload longer than the file
  EXPECT_FALSE(bzimage_payload(lying));
  EXPECT_EQ(bzimage_payload(bzimage(std::string("\x28\xb5\x2f\xfd", 4) + std::string(64, 'z')))->compression, "zstd");
}

TEST(LabBootImage, PvhElfNeedsTheNoteAndEveryLoadedByte) {
  EXPECT_TRUE(is_pvh_elf(elf(18)));
  EXPECT_FALSE(is_pvh_elf(elf(17)));  // another Xen note only
  const std::string whole = elf(18);
  EXPECT_FALSE(is_pvh_elf(whole.substr(0, whole.size() - 100)));  // decompression cut short
  EXPECT_FALSE(is_pvh_elf(""));
  EXPECT_FALSE(is_pvh_elf(std::string(4096, 'x')));
}

TEST(LabBootImage, CachedKernelGetsItsUncompressedElfOnce) {
  TempDir t;
  const Kernel k = cached_kernel(t.path / "kernels" / "linux-image-x", bzimage(gzip(elf(18))));
  std::string note;
  const fs::path first = boot_image(k, &note);
  EXPECT_EQ(first, k.vmlinuz.parent_path() / "vmlinux.pvh") << note;
  EXPECT_EQ(slurp(first), elf(18));
  for (auto& e : fs::directory_iterator(k.vmlinuz.parent_path()))  // no work file stays
    EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << e.path();
  EXPECT_EQ(boot_image(k, &note), first);
  EXPECT_EQ(note, "uncompressed PVH ELF");
  // damaged later (a truncated copy): made again, not booted
  fs::resize_file(first, 100);
  EXPECT_EQ(boot_image(k, &note), first);
  EXPECT_EQ(slurp(first), elf(18));
}

// Same-size damage keeps a valid ELF header and PVH note: before the checksum record, such an
// image passed is_pvh_elf and the guest panicked on every run.
TEST(LabBootImage, SameSizeDamageIsFoundAndTheElfMadeAgainSayingSo) {
  TempDir t;
  const Kernel k = cached_kernel(t.path / "kernels" / "linux-image-x", bzimage(gzip(elf(18))));
  std::string note;
  const fs::path first = boot_image(k, &note);
  ASSERT_EQ(first, k.vmlinuz.parent_path() / "vmlinux.pvh") << note;
  ASSERT_TRUE(fs::exists(first.string() + ".sha256"));
  std::string damaged = slurp(first);
  damaged[damaged.size() - 1] ^= 0x5a;  // inside the last loaded segment: still a PVH ELF
  ASSERT_TRUE(is_pvh_elf(damaged));
  std::ofstream(first, std::ios::binary | std::ios::trunc) << damaged;
  std::vector<std::string> said;
  EXPECT_EQ(boot_image(k, &note, [&](const std::string& s) { said.push_back(s); }), first);
  EXPECT_EQ(slurp(first), elf(18));
  ASSERT_EQ(said.size(), 1u);
  EXPECT_NE(said[0].find(first.string() + " is damaged (crc32"), std::string::npos) << said[0];
  said.clear();
  EXPECT_EQ(boot_image(k, &note, [&](const std::string& s) { said.push_back(s); }), first);
  EXPECT_TRUE(said.empty());  // intact again: nothing to say
  // an ELF made before records existed is made again once (its bytes cannot be vouched for)
  fs::remove(first.string() + ".sha256");
  EXPECT_EQ(boot_image(k, &note, [&](const std::string& s) { said.push_back(s); }), first);
  EXPECT_TRUE(fs::exists(first.string() + ".sha256"));
  ASSERT_EQ(said.size(), 1u);
  EXPECT_NE(said[0].find("no checksum recorded"), std::string::npos) << said[0];
}

TEST(LabBootImage, KernelsThatCannotBeConvertedBootAsTheyAre) {
  TempDir t;
  std::string note;
  const Kernel no_pvh = cached_kernel(t.path / "a", bzimage(gzip(elf(17))));
  EXPECT_EQ(boot_image(no_pvh, &note), no_pvh.vmlinuz);
  EXPECT_NE(note.find("no PVH entry point"), std::string::npos) << note;
  EXPECT_TRUE(fs::exists(t.path / "a" / "vmlinux.pvh.none"));  // not tried again
  EXPECT_FALSE(fs::exists(t.path / "a" / "vmlinux.pvh"));
  EXPECT_EQ(boot_image(no_pvh, &note), no_pvh.vmlinuz);

  const Kernel lz4 = cached_kernel(t.path / "b", bzimage(std::string("\x02\x21\x4c\x18", 4) + std::string(64, 'q')));
  EXPECT_EQ(boot_image(lz4, &note), lz4.vmlinuz);
  EXPECT_NE(note.find("lz4 payload"), std::string::npos) << note;

  // a vmlinuz the user named: nothing is written next to it
  const Kernel users = cached_kernel(t.path / "c", bzimage(gzip(elf(18))), "path");
  EXPECT_EQ(boot_image(users, &note), users.vmlinuz);
  EXPECT_EQ(std::distance(fs::directory_iterator(t.path / "c"), fs::directory_iterator{}), 1);
}

TEST(LabBootImage, ACacheItCannotWriteStillBoots) {
  TempDir t;
  const Kernel k = cached_kernel(t.path / "k", bzimage(gzip(elf(18))));
  fs::create_directories(t.path / "k" / "vmlinux.pvh.lock");  // the lock cannot be opened
  std::string note;
  EXPECT_EQ(boot_image(k, &note), k.vmlinuz);
  EXPECT_NE(note.find("bzImage (cannot open lock"), std::string::npos) << note;
}
