// The guest's root filesystem: busybox-static, the given executables with every library
// `ldd` lists (and the dynamic loader), extra files, and an /init script. Packed as an
// uncompressed newc archive (lab/cpio_newc.hpp says why) and cached under
// <cache>/initramfs/<sha256>.cpio, the hash
// covering every shipped file's SHA-256 (executables, libraries, files) and the init, so a
// rebuilt tristate or a changed quiz gives a new image and an unchanged one is reused at once.
// A file's SHA-256 is remembered while its stat() is unchanged (lab/file_digests.hpp).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "lab/cache.hpp"
#include "lab/catalog.hpp"

namespace tristate::lab {

struct GuestFile {
  std::string host_path;
  std::string guest_path;  // absolute
};

struct InitramfsSpec {
  std::vector<std::string> executables;  // host paths; each lands at /usr/bin/<basename>
  std::vector<GuestFile> files;
  std::string init;                      // the text of /init
};

// Console markers the init prints; the serial decoder looks for them.
inline constexpr const char* kMarkReady = "@@TRISTATE-LAB:READY";
inline constexpr const char* kMarkBegin = "@@TRISTATE-LAB:PAYLOAD-BEGIN";
inline constexpr const char* kMarkEnd = "@@TRISTATE-LAB:PAYLOAD-END";
inline constexpr const char* kMarkNone = "@@TRISTATE-LAB:NO-PAYLOAD";
inline constexpr const char* kMarkExit = "@@TRISTATE-LAB:EXIT";

// Single-quotes a word for sh.
std::string shell_quote(const std::string& word);

// The standard /init: mounts proc, sysfs, devtmpfs, tracefs, debugfs, bpffs, brings lo up,
// prints the READY marker with `uname -r`, runs argv (each word quoted; argv[0] looked up
// in PATH=/usr/bin:/bin:/sbin), sends `result_path` (if it exists) base64-encoded between
// markers, prints the EXIT marker with the status, and powers off.
std::string make_init_script(const std::vector<std::string>& argv, const std::string& result_path);

// Absolute paths of the shared libraries `ldd` lists for a binary (empty for a static one),
// plus the dynamic loader. Throws when ldd fails on a dynamic binary.
std::vector<std::string> ldd_libraries(const std::string& binary);

// Returns the cached image, building it first when needed (said through progress).
// Throws std::runtime_error naming the missing package (busybox-static) or the file that failed.
std::filesystem::path build_initramfs(const InitramfsSpec& spec, const Cache& cache,
                                      const Progress& progress);

}  // namespace tristate::lab
