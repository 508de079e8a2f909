#include "lab/sealed_file.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "lab/sha256.hpp"
#include "util/atomic_file.hpp"

namespace fs = std::filesystem;

namespace tristate::lab {

fs::path seal_path(const fs::path& file) { return file.string() + ".sha256"; }

void seal_file(const fs::path& file) {
  const auto size = fs::file_size(file);
  const std::string sha = sha256_file(file.string());
  const auto written = util::write_file_atomic(seal_path(file), std::to_string(size) + ' ' + sha + '\n');
  if (!written) throw std::runtime_error(written.error().message);
}

SealCheck check_seal(const fs::path& file) {
  std::ifstream in(seal_path(file));
  std::uint64_t want_size = 0;
  std::string want_sha;
  if (!in || !(in >> want_size >> want_sha) || want_sha.size() != 64)
    return {SealState::Unsealed, "no checksum recorded"};
  std::error_code ec;
  const auto size = fs::file_size(file, ec);
  if (ec) return {SealState::Damaged, "missing"};
  if (size != want_size)
    return {SealState::Damaged,
            std::to_string(size) + " bytes, " + std::to_string(want_size) + " when it was made"};
  std::string sha;
  try {
    sha = sha256_file(file.string());
  } catch (const std::exception& e) {
    return {SealState::Damaged, e.what()};
  }
  if (sha != want_sha) return {SealState::Damaged, "sha256 differs from the one recorded when it was made"};
  return {SealState::Intact, ""};
}

void remove_sealed(const fs::path& file) {
  std::error_code ec;
  fs::remove(file, ec);
  fs::remove(seal_path(file), ec);
}

}  // namespace tristate::lab
