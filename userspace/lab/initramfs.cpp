#include "lab/initramfs.hpp"

#include <chrono>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <unistd.h>

#include "lab/cpio_newc.hpp"
#include "lab/file_digests.hpp"
#include "lab/leftovers.hpp"
#include "lab/process.hpp"
#include "lab/sealed_file.hpp"
#include "lab/sha256.hpp"

namespace fs = std::filesystem;

namespace tristate::lab {
namespace {

constexpr const char* kBusybox = "/bin/busybox";
// Images kept beyond the last hour's (~13 MB each, uncompressed): a test run ships a handful
// of binary sets.
constexpr std::size_t kInitramfsKept = 16;

void say(const Progress& p, const std::string& s) {
  if (p) p(s);
}

bool is_static_busybox(const std::string& path) {
  auto r = run_tool({"ldd", path});
  return r.out.find("not a dynamic executable") != std::string::npos ||
         r.err.find("not a dynamic executable") != std::string::npos;
}

void copy_into(const fs::path& root, const std::string& host, const std::string& guest, bool strip) {
  fs::path dst = root / fs::path(guest).relative_path();
  fs::create_directories(dst.parent_path());
  // Debug info is most of a RelWithDebInfo binary; the guest unpacks every byte under TCG.
  if (strip && have_program("strip") &&
      run_tool({"strip", "--strip-debug", "-o", dst.string(), host}).status == 0) {
    fs::permissions(dst, fs::status(host).permissions());
    return;
  }
  fs::copy_file(host, dst, fs::copy_options::overwrite_existing);
}

}  // namespace

std::string shell_quote(const std::string& w) {
  std::string out = "'";
  for (char c : w) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

std::string make_init_script(const std::vector<std::string>& argv, const std::string& result_path) {
  std::string cmd;
  for (auto& a : argv) cmd += (cmd.empty() ? "" : " ") + shell_quote(a);
  std::ostringstream s;
  s << "#!/bin/busybox sh\n"
       "# tristate lab guest init\n"
       "/bin/busybox mkdir -p /proc /sys /dev /tmp /run /sbin /usr/bin /usr/sbin\n"
       "/bin/busybox --install -s\n"
       "export PATH=/usr/bin:/bin:/sbin:/usr/sbin HOME=/root\n"
       "mount -t devtmpfs devtmpfs /dev 2>/dev/null\n"
       "exec 0</dev/console 1>/dev/console 2>&1\n"
       "mount -t proc proc /proc\n"
       "mount -t sysfs sysfs /sys\n"
       // printk lines would land inside the base64 payload; emergencies (panics) still show.
       "echo 1 > /proc/sys/kernel/printk\n"
       "mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null\n"
       "mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null\n"
       "mkdir -p /sys/fs/bpf && mount -t bpf bpf /sys/fs/bpf 2>/dev/null\n"
       "ip link set lo up\n"
       "echo \""
    << kMarkReady
    << " $(uname -r)@@\"\n"
       "cd /\n"
    << cmd
    << "\n"
       "st=$?\n";
  if (!result_path.empty()) {
    // Every byte on the emulated UART costs a trap into qemu: a traced suite's 150 KB report
    // took 1.1 s as plain base64; gzip shrinks JSON over tenfold. The END marker counts the
    // bytes sent, so the host checks them before inflating.
    const std::string r = shell_quote(result_path);
    s << "if [ -f " << r << " ]; then\n"
      << "  p=" << r << " enc=\n"
      << "  gzip -c " << r << " > /tmp/.lab-payload.gz 2>/dev/null && p=/tmp/.lab-payload.gz enc=gzip\n"
      << "  echo \"" << kMarkBegin << " $enc@@\"\n"
      << "  base64 \"$p\"\n"
      << "  echo \"" << kMarkEnd << " $(wc -c < \"$p\")@@\"\n"
      << "else\n"
      << "  echo \"" << kMarkNone << "@@\"\n"
      << "fi\n";
  }
  s << "echo \"" << kMarkExit << " $st@@\"\n"
    << "poweroff -f\n";
  return s.str();
}

std::vector<std::string> ldd_libraries(const std::string& binary) {
  auto r = run_tool({"ldd", binary});
  std::string all = r.out + r.err;
  if (all.find("not a dynamic executable") != std::string::npos ||
      all.find("statically linked") != std::string::npos)
    return {};
  if (r.status != 0) throw std::runtime_error("ldd " + binary + " failed: " + r.err);
  std::vector<std::string> libs;
  std::istringstream in(r.out);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find("not found") != std::string::npos)
      throw std::runtime_error(binary + ": library missing on this machine: " + line);
    // "libx.so => /path (0x…)" or "/lib64/ld-linux-x86-64.so.2 (0x…)"; vdso has no path.
    auto arrow = line.find("=> ");
    std::string rest = arrow == std::string::npos ? line : line.substr(arrow + 3);
    auto b = rest.find_first_not_of(" \t");
    if (b == std::string::npos || rest[b] != '/') continue;
    libs.push_back(rest.substr(b, rest.find(' ', b) - b));
  }
  if (fs::exists("/lib64/ld-linux-x86-64.so.2")) libs.push_back("/lib64/ld-linux-x86-64.so.2");
  return libs;
}

namespace {

// What an image holds: guest path -> host path (sorted, so the hash does not depend on
// discovery order), and which guest paths are executables (stripped when staged).
struct Content {
  std::map<std::string, std::string> files;
  std::set<std::string> executables;
};

Content collect_content(const InitramfsSpec& spec) {
  Content c;
  c.files["/bin/busybox"] = kBusybox;
  for (auto& exe : spec.executables) {
    std::error_code ec;
    fs::path real = fs::canonical(exe, ec);
    if (ec) throw std::runtime_error(exe + ": cannot ship into the guest: " + ec.message());
    std::string guest = "/usr/bin/" + real.filename().string();
    c.files[guest] = real.string();
    c.executables.insert(guest);
    for (auto& lib : ldd_libraries(real.string())) c.files[lib] = fs::canonical(lib).string();
  }
  for (auto& f : spec.files) {
    if (f.guest_path.empty() || f.guest_path[0] != '/')
      throw std::runtime_error("guest path '" + f.guest_path + "' for " + f.host_path + " is not absolute");
    if (!fs::is_regular_file(f.host_path))
      throw std::runtime_error(f.host_path + ": no such file to ship into the guest");
    c.files[f.guest_path] = f.host_path;
  }
  return c;
}

// The image's name: every shipped file's digest and the init script. The digests come from
// the memo in the cache when a file is as it was (lab/file_digests.hpp): re-reading a 130 MB
// debug-info tristate cost ~0.16 s of every run before its first guest could start.
std::string content_hash(const Content& c, const std::string& init, const Cache& cache,
                         const Progress& progress) {
  FileDigests digests = FileDigests::load(cache.initramfs_dir() / "digests.txt");
  Sha256 h;
  h.update("tristate-initramfs/3\n");
  for (auto& [guest, host] : c.files) {
    h.update(guest);
    h.update("\n", 1);
    h.update(digests.sha256(host));
    h.update("\n", 1);
  }
  h.update(init);
  // A memo that cannot be written costs the next run its hashing, nothing else.
  if (const auto saved = digests.save(); !saved)
    say(progress, "file digests not remembered: " + saved.error().message);
  return h.hex();
}

// Stages the tree beside the cache (`.stage-HASH-PID`, removed on every way out) and packs
// it to `out` through `<out>.tmp-PID`; both names are ones the leftovers sweep knows.
void pack_image(const Content& c, const std::string& init, const std::string& hash, const fs::path& out,
                const Cache& cache) {
  fs::path stage = cache.initramfs_dir() / (".stage-" + hash.substr(0, 16) + "-" + std::to_string(getpid()));
  fs::remove_all(stage);
  struct Cleanup {
    fs::path p;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(p, ec);
    }
  } cleanup{stage};
  for (auto& [guest, host] : c.files) copy_into(stage, host, guest, c.executables.count(guest) > 0);
  {
    std::ofstream f(stage / "init");
    f << init;
  }
  fs::permissions(stage / "init", fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                      fs::perms::others_read | fs::perms::others_exec);
  fs::path tmp = out.string() + ".tmp-" + std::to_string(getpid());
  try {
    pack_newc(stage, tmp);
  } catch (const std::exception&) {
    std::error_code ec;
    fs::remove(tmp, ec);
    throw;
  }
  fs::rename(tmp, out);
}

}  // namespace

fs::path build_initramfs(const InitramfsSpec& spec, const Cache& cache, const Progress& progress) {
  if (!fs::exists(kBusybox) || !is_static_busybox(kBusybox))
    throw std::runtime_error(std::string(kBusybox) +
                             " missing or not static: install it with `apt-get install busybox-static`");
  const Content content = collect_content(spec);
  const std::string hash = content_hash(content, spec.init, cache, progress);
  fs::path out = cache.initramfs_dir() / (hash.substr(0, 32) + ".cpio");
  // A used image is a recent one: cache trimming keeps the most recently used.
  auto reuse = [&out] {
    std::error_code ec;
    fs::last_write_time(out, fs::file_time_type::clock::now(), ec);
    return out;
  };
  // The name hashes what went in, not what came out: a truncated or altered image would keep
  // its name and be booted on every run ("wrote no report (exit status 127)"), so the bytes
  // are checked against the record made when it was packed.
  // Every run, not only when building: a run killed after its image was in place still
  // leaves its stage (a listing of two small directories).
  for (const auto& l : sweep_leftovers(cache))
    say(progress, "removed " + l.path.string() + " (" + std::to_string(l.bytes >> 10) +
                      " KiB), left by a killed run: " + l.why);
  if (check_seal(out).state == SealState::Intact) return reuse();

  FileLock lock(cache.initramfs_dir() / (hash.substr(0, 32) + ".lock"));
  const SealCheck seal = check_seal(out);
  if (seal.state == SealState::Intact) return reuse();
  std::error_code exists_ec;
  if (fs::exists(out, exists_ec))
    say(progress, "cached initramfs " + out.string() + " is damaged (" + seal.why + "): rebuilding it");
  remove_sealed(out);
  say(progress, "building initramfs (" + std::to_string(content.files.size()) + " files)");
  pack_image(content, spec.init, hash, out, cache);
  seal_file(out);
  // Each new build of a shipped binary is a new image: keep the cache bounded. An hour covers
  // any guest started from an older image (its qemu has read the file by then).
  cache.trim_initramfs(kInitramfsKept, std::chrono::hours(1));
  return out;
}

}  // namespace tristate::lab
