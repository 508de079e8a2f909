#include "lab/guest_btf.hpp"

#include <elf.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <set>
#include <string_view>

#include "lab/boot_image.hpp"
#include "lab/cache.hpp"
#include "lab/process.hpp"
#include "util/atomic_file.hpp"
#include "util/input_file.hpp"

namespace fs = std::filesystem;

namespace tristate::lab {
namespace {

constexpr std::size_t kMaxImage = 512u << 20;

// The named sections of an x86-64 ELF image, by name (views into `elf`).
std::map<std::string, std::string_view> elf_sections(std::string_view elf, const std::set<std::string>& wanted) {
  std::map<std::string, std::string_view> out;
  Elf64_Ehdr eh;
  if (elf.size() < sizeof eh || elf.substr(0, 4) != std::string_view(ELFMAG, SELFMAG)) return out;
  std::memcpy(&eh, elf.data(), sizeof eh);
  if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shoff > elf.size() ||
      (elf.size() - eh.e_shoff) / sizeof(Elf64_Shdr) < eh.e_shnum || eh.e_shstrndx >= eh.e_shnum)
    return out;
  auto shdr = [&](std::size_t i) {
    Elf64_Shdr s;
    std::memcpy(&s, elf.data() + eh.e_shoff + i * sizeof s, sizeof s);
    return s;
  };
  auto body = [&](const Elf64_Shdr& s) -> std::string_view {
    if (s.sh_type == SHT_NOBITS || s.sh_offset > elf.size() || elf.size() - s.sh_offset < s.sh_size) return {};
    return elf.substr(s.sh_offset, s.sh_size);
  };
  const std::string_view names = body(shdr(eh.e_shstrndx));
  for (std::size_t i = 1; i < eh.e_shnum; ++i) {
    const Elf64_Shdr s = shdr(i);
    if (s.sh_name >= names.size()) continue;
    const std::string name(names.substr(s.sh_name).data(), strnlen(names.data() + s.sh_name, names.size() - s.sh_name));
    if (wanted.count(name)) out[name] = body(s);
  }
  return out;
}

// The kernel's ELF: the boot image when it is one, else the bzImage's payload decompressed.
std::string kernel_elf(const Kernel& kernel, std::string* why) {
  const fs::path boot = boot_image(kernel);
  auto image = util::read_bounded(boot.string(), kMaxImage);
  if (!image) {
    *why = image.error().message;
    return "";
  }
  if (image.value().compare(0, 4, ELFMAG) == 0) return std::move(image.value());
  const auto payload = bzimage_payload(image.value());
  const char* tool = !payload ? nullptr
                     : payload->compression == "lz4"  ? "lz4"
                     : payload->compression == "zstd" ? "zstd"
                     : payload->compression == "xz"   ? "xz"
                     : payload->compression == "gzip" ? "gzip"
                                                       : nullptr;
  if (!tool || !have_program(tool)) {
    *why = payload ? "no `" + std::string(payload ? payload->compression : "") + "` to decompress the kernel"
                   : "not a bzImage";
    return "";
  }
  const fs::path dir = kernel.vmlinuz.parent_path();
  const std::string pid = std::to_string(getpid());  // a killed run's files are swept by PID
  const fs::path packed = dir / (".payload.tmp-" + pid), out = dir / (".vmlinux.tmp-" + pid);
  std::string elf;
  if (util::write_file_atomic(packed, std::string_view(image.value()).substr(payload->offset, payload->length))) {
    // The size the kernel build appends after the stream is trailing garbage to the tools:
    // their status is ignored and the ELF is checked instead.
    run_tool({"sh", "-c", std::string(tool) + " -d -c < \"$1\" > \"$2\"", "sh", packed.string(), out.string()});
    if (auto bytes = util::read_bounded(out.string(), kMaxImage)) elf = std::move(bytes.value());
  }
  std::error_code ec;
  fs::remove(packed, ec);
  fs::remove(out, ec);
  if (elf.compare(0, 4, ELFMAG) != 0) {
    *why = "the " + payload->compression + " payload did not decompress to an ELF";
    return "";
  }
  return elf;
}

}  // namespace

std::optional<GuestKernelBtf> guest_kernel_btf(const Kernel& kernel, std::string* why) {
  std::string local;
  if (!why) why = &local;
  if (kernel.manifest.origin == "path") {
    *why = "a vmlinuz given by path";
    return std::nullopt;
  }
  const fs::path dir = kernel.vmlinuz.parent_path();
  const fs::path btf = dir / "vmlinux.btf", notes = dir / "vmlinux.notes";
  auto ready = [&]() -> std::optional<GuestKernelBtf> {
    std::error_code ec;
    if (!fs::is_regular_file(btf, ec) || fs::file_size(btf, ec) == 0) return std::nullopt;
    auto n = util::read_bounded(notes.string(), 1 << 20);
    if (!n || n.value().empty()) return std::nullopt;
    return GuestKernelBtf{btf, std::move(n.value())};
  };
  if (auto r = ready()) return r;
  FileLock lock(dir / "vmlinux.btf.lock");
  if (auto r = ready()) return r;
  const std::string elf = kernel_elf(kernel, why);
  if (elf.empty()) return std::nullopt;
  const auto sections = elf_sections(elf, {".BTF", ".notes"});
  const auto b = sections.find(".BTF"), n = sections.find(".notes");
  if (b == sections.end() || n == sections.end() || b->second.empty() || n->second.empty()) {
    *why = "the kernel's ELF has no .BTF or .notes section";
    return std::nullopt;
  }
  if (auto w = util::write_file_atomic(notes, n->second); !w) {
    *why = w.error().message;
    return std::nullopt;
  }
  if (auto w = util::write_file_atomic(btf, b->second); !w) {
    *why = w.error().message;
    return std::nullopt;
  }
  return ready();
}

void add_guest_btf(std::vector<GuestJob>& jobs, const GuestBtfMaker& make) {
  std::vector<GuestFile> files;
  std::set<fs::path> done;
  for (const auto& job : jobs) {
    if (!done.insert(job.kernel.vmlinuz).second) continue;
    std::string why;
    const auto btf = guest_kernel_btf(job.kernel, &why);
    if (!btf) {
      spdlog::debug("{}: no BTF files shipped to its guest: {}", job.kernel.vmlinuz.string(), why);
      continue;
    }
    const fs::path dir = job.kernel.vmlinuz.parent_path() / "guest-btf";
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) continue;
    FileLock lock(dir / ".lock");
    for (const auto& name : make(*btf, dir)) files.push_back({(dir / name).string(), std::string(kGuestBtfDir) + "/" + name});
  }
  for (auto& job : jobs) job.request.files.insert(job.request.files.end(), files.begin(), files.end());
}

}  // namespace tristate::lab
