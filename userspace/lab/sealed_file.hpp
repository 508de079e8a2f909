// A cached file the lab boots (vmlinux.pvh, an initramfs image) with its size, sha256 and
// CRC-32 recorded beside it in `<file>.sha256` when it was made (checked by the CRC: fast), so damage that keeps the size (a bad
// sector, a stray write) is found before qemu boots it, not after a guest panics on every run.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace tristate::lab {

enum class SealState {
  Intact,    // size and sha256 as recorded
  Unsealed,  // no record (made before records existed, or its maker was killed)
  Damaged,   // missing, another size, or another sha256
};

struct SealCheck {
  SealState state = SealState::Unsealed;
  std::string why;  // for Damaged/Unsealed: what differs, one phrase
};

std::filesystem::path seal_path(const std::filesystem::path& file);

// Records `file`'s size, sha256 and CRC-32 (written to a temporary and renamed, so a reader never
// sees half a record). Throws std::runtime_error naming the path when it cannot.
void seal_file(const std::filesystem::path& file);

// Compares `file` with its record: the size first (cheap), then the CRC-32 (the sha256 for a
// record made before CRCs were recorded).
SealCheck check_seal(const std::filesystem::path& file);

// The bytes' CRC-32 as 8 hex digits (zlib). Throws std::runtime_error naming the path when it
// cannot be read.
std::string crc32_file(const std::filesystem::path& file);

// `file`'s bytes against a record made when it was written: by the record's CRC-32 when it has
// one (fast), else by its sha256 (records from before CRCs were kept). Shared by the seals and
// the kernel cache's manifests.
struct ContentCheck {
  bool same = false;
  std::string algorithm;  // "crc32" or "sha256": which sum was compared
  std::string actual;     // that sum of the bytes now
  std::string crc32;      // matched by sha256: the CRC-32, for the caller to add to its record
};
// Throws std::runtime_error naming the path when it cannot be read.
ContentCheck check_content(const std::filesystem::path& file, const std::string& want_sha256,
                           const std::string& want_crc32);

// Removes the file and its record (either may be absent).
void remove_sealed(const std::filesystem::path& file);

}  // namespace tristate::lab
