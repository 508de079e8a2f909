#include "trace/core_btf_cache.hpp"

#include <bpf/btf.h>
#include <elf.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "util/input_file.hpp"
#include "util/output_file.hpp"

extern char** environ;

namespace tristate::trace {

namespace fs = std::filesystem;

std::string build_id_from_notes(std::string_view notes) {
  auto align4 = [](std::size_t n) { return (n + 3) & ~std::size_t{3}; };
  std::size_t off = 0;
  while (off + sizeof(Elf64_Nhdr) <= notes.size()) {
    Elf64_Nhdr h;
    std::memcpy(&h, notes.data() + off, sizeof h);
    off += sizeof h;
    const std::size_t name_at = off, desc_at = off + align4(h.n_namesz);
    if (h.n_namesz > notes.size() || h.n_descsz > notes.size() || desc_at + h.n_descsz > notes.size()) return "";
    off = desc_at + align4(h.n_descsz);
    if (h.n_type != NT_GNU_BUILD_ID || h.n_namesz != 4 || notes.substr(name_at, 4) != std::string_view("GNU\0", 4) ||
        h.n_descsz == 0)
      continue;
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    for (std::size_t i = 0; i < h.n_descsz; ++i) {
      const auto b = static_cast<unsigned char>(notes[desc_at + i]);
      hex += kHex[b >> 4];
      hex += kHex[b & 15];
    }
    return hex;
  }
  return "";
}

std::string running_kernel_key() {
  auto notes = util::read_bounded("/sys/kernel/notes", 64 * 1024);
  if (!notes) return "";
  const std::string id = build_id_from_notes(notes.value());
  struct stat st {};
  if (id.empty() || ::stat("/sys/kernel/btf/vmlinux", &st) != 0) return "";
  return id + "-" + std::to_string(st.st_size);
}

namespace {

// FNV-1a, 64 bits: names a cached file after the object it was made for.
std::uint64_t fnv1a(std::string_view bytes) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : bytes) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

std::string cache_root() {
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x == '/') return std::string(x) + "/tristate";
  if (const char* h = std::getenv("HOME"); h && *h == '/' && std::strcmp(h, "/") != 0) return std::string(h) + "/.cache/tristate";
  return "";
}

std::string find_bpftool() {
  std::string path = std::getenv("PATH") ? std::getenv("PATH") : "";
  path += ":/usr/sbin:/sbin";  // Debian's bpftool is in sbin, often not in a user's PATH
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t end = std::min(path.find(':', start), path.size());
    const std::string dir = path.substr(start, end - start);
    if (!dir.empty() && dir.front() == '/' && ::access((dir + "/bpftool").c_str(), X_OK) == 0) return dir + "/bpftool";
    start = end + 1;
  }
  return "";
}

// bpftool gen min_core_btf against `kernel_btf` (raw BTF or an ELF with .BTF) in a private
// temporary directory; the output's bytes, or "".
std::string make_minimal(std::string_view object, const std::string& kernel_btf) {
  const std::string bpftool = find_bpftool();
  if (bpftool.empty()) return "";
  char tmpl[] = "/tmp/tristate-btf.XXXXXX";
  if (!::mkdtemp(tmpl)) return "";
  const fs::path dir = tmpl;
  std::string out;
  {
    std::ofstream(dir / "object.o", std::ios::binary).write(object.data(), static_cast<std::streamsize>(object.size()));
    const std::string obj = (dir / "object.o").string(), btf = (dir / "min.btf").string();
    const char* argv[] = {bpftool.c_str(), "gen", "min_core_btf", kernel_btf.c_str(), btf.c_str(), obj.c_str(), nullptr};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid = -1;
    int status = 0;
    if (posix_spawn(&pid, bpftool.c_str(), &fa, nullptr, const_cast<char* const*>(argv), environ) == 0) {
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        if (auto bytes = util::read_bounded(btf, 16 * 1024 * 1024)) out = std::move(bytes.value());
    }
    posix_spawn_file_actions_destroy(&fa);
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  return out;
}

}  // namespace

std::string core_btf_file_name(std::string_view kernel_key, std::string_view object, std::string_view name) {
  char hash[17];
  std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(fnv1a(object)));
  return std::string(kernel_key) + "-" + std::string(name) + "-" + hash + ".btf";
}

std::string func_ids_file_name(std::string_view kernel_key) { return std::string(kernel_key) + "-func-ids.txt"; }

std::string minimal_core_btf(std::string_view object, std::string_view name) {
  if (const char* off = std::getenv("TRISTATE_CORE_BTF"); off && std::string_view(off) == "off") return "";
  const std::string root = cache_root(), kernel = running_kernel_key();
  if (root.empty() || kernel.empty()) return "";
  const fs::path path = fs::path(root) / "btf" / core_btf_file_name(kernel, object, name);
  std::error_code ec;
  if (fs::is_regular_file(path, ec) && fs::file_size(path, ec) > 0) return path.string();
  const std::string bytes = make_minimal(object, "/sys/kernel/btf/vmlinux");
  if (bytes.empty()) return "";
  fs::create_directories(path.parent_path(), ec);
  if (ec || !util::write_output(path.string(), bytes)) return "";
  return path.string();
}

std::string core_btf_cache_path(std::string_view file_name) {
  if (const char* off = std::getenv("TRISTATE_CORE_BTF"); off && std::string_view(off) == "off") return "";
  const std::string root = cache_root();
  return root.empty() ? "" : root + "/btf/" + std::string(file_name);
}

std::string minimal_core_btf_from(std::string_view object, const std::string& kernel_btf) {
  return make_minimal(object, kernel_btf);
}

void forget_core_btf(const std::string& path) {
  std::error_code ec;
  fs::remove(path, ec);
}

std::map<std::string, int> func_ids_in(const btf* kernel, const std::vector<std::string>& names, std::string* text) {
  std::map<std::string, int> ids;
  for (const auto& n : names)
    if (const int id = btf__find_by_name_kind(kernel, n.c_str(), BTF_KIND_FUNC); id > 0) {
      ids[n] = id;
      if (text) *text += n + " " + std::to_string(id) + "\n";
    }
  return ids;
}

std::map<std::string, int> kernel_func_ids(const std::vector<std::string>& names, bool refresh) {
  std::map<std::string, int> ids;
  const std::string root = cache_root(), kernel = running_kernel_key();
  const bool cached = !root.empty() && !kernel.empty() &&
                      !(std::getenv("TRISTATE_CORE_BTF") && std::string_view(std::getenv("TRISTATE_CORE_BTF")) == "off");
  const fs::path path = fs::path(root) / "btf" / func_ids_file_name(kernel);
  if (cached && !refresh)
    if (auto text = util::read_bounded(path.string(), 64 * 1024)) {
      std::istringstream in(text.value());
      std::string name;
      int id = 0;
      while (in >> name >> id)
        if (id > 0) ids[name] = id;
      bool all = true;
      for (const auto& n : names) all = all && ids.count(n);
      if (all) return ids;
      ids.clear();
    }
  btf* vmlinux = btf__load_vmlinux_btf();
  if (!vmlinux) return ids;
  std::string text;
  ids = func_ids_in(vmlinux, names, &text);
  btf__free(vmlinux);
  if (cached && ids.size() == names.size()) {
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    if (!ec) (void)util::write_output(path.string(), text);
  }
  return ids;
}

}  // namespace tristate::trace
