// What qemu boots for a kernel. From a bzImage, qemu runs the kernel's own decompressor under
// emulation: ~1 s of every boot for the zstd payloads of Debian's 6.12 and newer kernels
// (measured under TCG: 7.2 reached /init in 3.3 s from its ELF, 4.2-4.4 s from its bzImage;
// the lz4 payloads of 5.10 and 6.1 decompress fast enough to gain nothing). A kernel with a
// PVH entry point boots from its uncompressed ELF directly, so a cached kernel keeps one next
// to its vmlinuz, made once.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "lab/cache.hpp"
#include "lab/catalog.hpp"

namespace tristate::lab {

// The compression of a bzImage's payload ("zstd", "xz", "gzip", "lz4", ...) and where it
// starts and how long it is, from the x86 boot protocol header (2.08+); nullopt when `image`
// is not such a bzImage.
struct BzPayload {
  std::string compression;
  std::size_t offset = 0;
  std::size_t length = 0;
};
std::optional<BzPayload> bzimage_payload(std::string_view image);

// True when `elf` is a whole x86-64 ELF (every loadable segment inside the file) with a
// PVH entry note (Xen note type 18, XEN_ELFNOTE_PHYS32_ENTRY).
bool is_pvh_elf(std::string_view elf);

// The file to give qemu's -kernel: <entry>/vmlinux.pvh for a cache entry whose payload is
// worth decompressing and whose kernel has a PVH entry (made on first use, under the entry's
// lock, written atomically, its size and sha256 recorded), else the vmlinuz itself. An ELF
// that no longer matches its record is made again, said through `progress`. Never throws for
// a kernel that cannot be converted: it boots as it is. `note` (if given) says what was done.
std::filesystem::path boot_image(const Kernel& kernel, std::string* note = nullptr,
                                 const Progress& progress = nullptr);

}  // namespace tristate::lab
