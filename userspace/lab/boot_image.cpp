#include "lab/boot_image.hpp"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <spdlog/spdlog.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>

#include "lab/process.hpp"
#include "lab/sealed_file.hpp"
#include "util/atomic_file.hpp"

namespace fs = std::filesystem;

namespace tristate::lab {
namespace {

template <typename T>
std::optional<T> read_at(std::string_view b, std::size_t off) {
  if (off > b.size() || b.size() - off < sizeof(T)) return std::nullopt;
  T v;
  std::memcpy(&v, b.data() + off, sizeof(T));
  return v;  // little-endian host and format (x86-64 only)
}

// libelf reads from memory it may not own: a handle ended with the scope.
struct ElfHandle {
  Elf* elf;
  ~ElfHandle() { elf_end(elf); }
};

// Whether the note segment [offset, offset + size) holds XEN_ELFNOTE_PHYS32_ENTRY: the PVH
// entry point qemu's -kernel needs to boot an ELF directly.
bool notes_have_pvh(Elf* elf, std::uint64_t offset, std::uint64_t size) {
  constexpr std::uint32_t kPhys32Entry = 18;  // XEN_ELFNOTE_PHYS32_ENTRY
  Elf_Data* notes = elf_getdata_rawchunk(elf, static_cast<int64_t>(offset), size, ELF_T_NHDR);
  if (!notes) return false;
  GElf_Nhdr nhdr;
  std::size_t at = 0, name_at = 0, desc_at = 0;
  while (at < notes->d_size && (at = gelf_getnote(notes, at, &nhdr, &name_at, &desc_at)) != 0)
    if (nhdr.n_type == kPhys32Entry && nhdr.n_namesz == 4 &&
        std::memcmp(static_cast<const char*>(notes->d_buf) + name_at, "Xen", 4) == 0)
      return true;
  return false;
}

// A read-only mapping of a whole file (empty view when it cannot be mapped).
class MappedFile {
 public:
  explicit MappedFile(const fs::path& path) {
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    struct stat st {};
    if (fstat(fd, &st) == 0 && st.st_size > 0) {
      void* p = mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
      if (p != MAP_FAILED) {
        data_ = static_cast<const char*>(p);
        size_ = static_cast<std::size_t>(st.st_size);
      }
    }
    close(fd);
  }
  ~MappedFile() {
    if (data_) munmap(const_cast<char*>(data_), size_);
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  std::string_view view() const { return {data_, size_}; }

 private:
  const char* data_ = nullptr;
  std::size_t size_ = 0;
};

// Best effort, as before: a record that cannot be written is only made again next boot.
void write_file(const fs::path& path, std::string_view text) { (void)util::write_file_atomic(path, text); }

}  // namespace

std::optional<BzPayload> bzimage_payload(std::string_view image) {
  if (image.size() < 0x250 || image.substr(0x202, 4) != "HdrS") return std::nullopt;
  if (*read_at<std::uint16_t>(image, 0x206) < 0x208) return std::nullopt;  // no payload fields
  std::size_t setup_sects = static_cast<unsigned char>(image[0x1f1]);
  if (setup_sects == 0) setup_sects = 4;
  BzPayload p;
  p.offset = (setup_sects + 1) * 512 + *read_at<std::uint32_t>(image, 0x248);
  p.length = *read_at<std::uint32_t>(image, 0x24c);
  if (p.offset > image.size() || p.length > image.size() - p.offset || p.length < 8) return std::nullopt;
  const std::string_view head = image.substr(p.offset, 6);
  static const std::pair<const char*, std::string_view> magics[] = {
      {"zstd", std::string_view("\x28\xb5\x2f\xfd", 4)}, {"xz", std::string_view("\xfd" "7zXZ\0", 6)},
      {"gzip", std::string_view("\x1f\x8b", 2)},         {"lz4", std::string_view("\x02\x21\x4c\x18", 4)},
      {"bzip2", std::string_view("BZh", 3)},             {"lzo", std::string_view("\x89LZO", 4)},
      {"lzma", std::string_view("\x5d\0\0", 3)},
  };
  p.compression = "unknown";
  for (const auto& [name, magic] : magics)
    if (head.substr(0, magic.size()) == magic) {
      p.compression = name;
      break;
    }
  return p;
}

bool is_pvh_elf(std::string_view image) {
  if (elf_version(EV_CURRENT) == EV_NONE) return false;
  // elf_memory() takes a char*, yet an ELF_C_READ descriptor only reads through it
  ElfHandle h{elf_memory(const_cast<char*>(image.data()), image.size())};
  if (!h.elf || elf_kind(h.elf) != ELF_K_ELF || gelf_getclass(h.elf) != ELFCLASS64) return false;
  GElf_Ehdr ehdr;
  std::size_t phnum = 0;
  if (!gelf_getehdr(h.elf, &ehdr) || ehdr.e_machine != EM_X86_64 || elf_getphdrnum(h.elf, &phnum) != 0) return false;
  bool pvh = false, loads = false;
  for (std::size_t i = 0; i < phnum; ++i) {
    GElf_Phdr ph;
    if (!gelf_getphdr(h.elf, static_cast<int>(i), &ph)) return false;
    if (ph.p_offset > image.size() || ph.p_filesz > image.size() - ph.p_offset) return false;  // truncated
    if (ph.p_type == PT_LOAD) loads = true;
    if (ph.p_type == PT_NOTE && notes_have_pvh(h.elf, ph.p_offset, ph.p_filesz)) pvh = true;
  }
  return pvh && loads;
}

namespace {

fs::path make_boot_image(const Kernel& kernel, std::string* note, const Progress& progress) {
  auto say = [&](const std::string& s) {
    spdlog::debug("{}: {}", kernel.vmlinuz.string(), s);
    if (note) *note = s;
  };
  // A vmlinuz the user named stays theirs: nothing is written next to it.
  if (kernel.manifest.origin == "path") {
    say("booting the given image");
    return kernel.vmlinuz;
  }
  const fs::path dir = kernel.vmlinuz.parent_path();
  const fs::path elf = dir / "vmlinux.pvh", none = dir / "vmlinux.pvh.none";
  // Intact means as made: same-size damage inside the ELF passes is_pvh_elf and panics the
  // guest on every boot, so the bytes are checked against the record made with it.
  auto ready = [&] { return check_seal(elf).state == SealState::Intact && is_pvh_elf(MappedFile(elf).view()); };
  if (fs::exists(none)) {
    say("bzImage (" + std::string(std::istreambuf_iterator<char>(std::ifstream(none).rdbuf()), {}) + ")");
    return kernel.vmlinuz;
  }
  if (ready()) {
    say("uncompressed PVH ELF");
    return elf;
  }
  FileLock lock(dir / "vmlinux.pvh.lock");
  if (ready()) return elf;  // another tristate made it meanwhile
  std::error_code ec;
  if (fs::exists(elf, ec)) {
    const SealCheck seal = check_seal(elf);
    const std::string why = seal.state == SealState::Intact ? "not a whole PVH ELF" : seal.why;
    if (progress) progress("cached boot image " + elf.string() + " is damaged (" + why + "): making it again");
  }
  remove_sealed(elf);

  const MappedFile image(kernel.vmlinuz);
  const auto payload = bzimage_payload(image.view());
  const char* tool = !payload                          ? nullptr
                     : payload->compression == "zstd" ? "zstd"
                     : payload->compression == "xz"   ? "xz"
                     : payload->compression == "gzip" ? "gzip"
                                                       : nullptr;
  if (!tool) {
    const std::string why = payload ? payload->compression + " payload: its own decompressor is fast enough"
                                    : "not a bzImage with payload fields";
    write_file(none, why);
    say("bzImage (" + why + ")");
    return kernel.vmlinuz;
  }
  if (!have_program(tool)) {  // not recorded: installing the tool makes the next boot faster
    say(std::string("bzImage (no `") + tool + "` to decompress its " + payload->compression + " payload)");
    return kernel.vmlinuz;
  }
  const std::string pid = std::to_string(getpid());  // a killed run's files are swept by PID
  const fs::path packed = dir / (".payload.tmp-" + pid), out = dir / (".vmlinux.pvh.tmp-" + pid);
  write_file(packed, image.view().substr(payload->offset, payload->length));
  // The kernel build appends the uncompressed size after the stream, which the tools call
  // trailing garbage: their status is ignored and the ELF itself is checked instead.
  run_tool({"sh", "-c", std::string(tool) + " -d -c < \"$1\" > \"$2\"", "sh", packed.string(), out.string()});
  fs::remove(packed, ec);
  if (!is_pvh_elf(MappedFile(out).view())) {
    fs::remove(out, ec);
    write_file(none, "no PVH entry point, or its " + payload->compression + " payload did not decompress");
    say("bzImage (no PVH entry point)");
    return kernel.vmlinuz;
  }
  fs::rename(out, elf);
  seal_file(elf);
  say("made an uncompressed PVH ELF from the " + payload->compression + " payload");
  return elf;
}

}  // namespace

fs::path boot_image(const Kernel& kernel, std::string* note, const Progress& progress) {
  try {
    return make_boot_image(kernel, note, progress);
  } catch (const std::exception& e) {  // a read-only or full cache must not stop the boot
    spdlog::debug("{}: booting the bzImage: {}", kernel.vmlinuz.string(), e.what());
    if (note) *note = std::string("bzImage (") + e.what() + ")";
    return kernel.vmlinuz;
  }
}

}  // namespace tristate::lab
