#include "lab/sealed_file.hpp"

#include <zlib.h>

#include <cstdio>
#include <fstream>
#include <vector>
#include <sstream>
#include <stdexcept>

#include "lab/sha256.hpp"
#include "util/atomic_file.hpp"

namespace fs = std::filesystem;

namespace tristate::lab {

fs::path seal_path(const fs::path& file) { return file.string() + ".sha256"; }

// The bytes' CRC-32 (zlib's, ~4 GB/s here against SHA-256's ~0.8 GB/s with SHA extensions).
// The seal guards against accidental damage, which a CRC finds as surely as a cryptographic
// hash: every burst of up to 32 bits, anything else but for one time in 2^32. Checking two
// PVH ELFs (~120 MB) and an initramfs by SHA-256 cost ~0.17 s of CPU before a matrix's guests.
std::string crc32_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error(file.string() + ": cannot read");
  std::vector<char> buf(1 << 20);
  uLong crc = crc32_z(0, nullptr, 0);
  while (in) {
    in.read(buf.data(), std::streamsize(buf.size()));
    crc = crc32_z(crc, reinterpret_cast<const Bytef*>(buf.data()), std::size_t(in.gcount()));
  }
  if (in.bad()) throw std::runtime_error(file.string() + ": read error");
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08lx", crc & 0xffffffffUL);
  return hex;
}

// "SIZE SHA256 CRC32": checks use the CRC; a record of earlier versions has no CRC and is
// checked by its SHA-256 (an older tristate sharing the cache reads the first two fields only).
void seal_file(const fs::path& file) {
  const auto size = fs::file_size(file);
  const std::string sha = sha256_file(file.string());
  const std::string crc = crc32_file(file);
  const auto written =
      util::write_file_atomic(seal_path(file), std::to_string(size) + ' ' + sha + ' ' + crc + '\n');
  if (!written) throw std::runtime_error(written.error().message);
}

ContentCheck check_content(const fs::path& file, const std::string& want_sha256, const std::string& want_crc32) {
  ContentCheck c;
  if (!want_crc32.empty()) {
    c.algorithm = "crc32";
    c.actual = crc32_file(file);
    c.same = c.actual == want_crc32;
    return c;
  }
  c.algorithm = "sha256";
  c.actual = sha256_file(file.string());
  c.same = c.actual == want_sha256;
  if (c.same) c.crc32 = crc32_file(file);
  return c;
}

SealCheck check_seal(const fs::path& file) {
  std::ifstream in(seal_path(file));
  std::uint64_t want_size = 0;
  std::string want_sha, want_crc;
  if (!in || !(in >> want_size >> want_sha) || want_sha.size() != 64)
    return {SealState::Unsealed, "no checksum recorded"};
  if (!(in >> want_crc) || want_crc.size() != 8) want_crc.clear();
  std::error_code ec;
  const auto size = fs::file_size(file, ec);
  if (ec) return {SealState::Damaged, "missing"};
  if (size != want_size)
    return {SealState::Damaged,
            std::to_string(size) + " bytes, " + std::to_string(want_size) + " when it was made"};
  ContentCheck c;
  try {
    c = check_content(file, want_sha, want_crc);
  } catch (const std::exception& e) {
    return {SealState::Damaged, e.what()};
  }
  if (!c.same) return {SealState::Damaged, c.algorithm + " differs from the one recorded when it was made"};
  // An older record, found intact: the CRC is added so that the next check is the fast one
  // (best effort: a cache it cannot write is only checked the slow way again).
  if (!c.crc32.empty())
    (void)util::write_file_atomic(seal_path(file), std::to_string(want_size) + ' ' + want_sha + ' ' + c.crc32 + '\n');
  return {SealState::Intact, ""};
}

void remove_sealed(const fs::path& file) {
  std::error_code ec;
  fs::remove(file, ec);
  fs::remove(seal_path(file), ec);
}

}  // namespace tristate::lab
