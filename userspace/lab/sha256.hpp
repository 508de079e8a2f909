// SHA-256, used to name cached initramfs images by content and to check cached vmlinuz files.
// Self-contained so the lab does not pull in a crypto library for a checksum.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tristate::lab {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, std::size_t len);
  void update(std::string_view s) { update(s.data(), s.size()); }
  std::string hex();  // finishes the digest; the object is spent afterwards

 private:
  void block(const std::uint8_t* p);
  std::array<std::uint32_t, 8> h_;
  std::array<std::uint8_t, 64> buf_{};
  std::size_t buf_len_ = 0;
  std::uint64_t total_ = 0;
};

// Hashes a whole file; throws std::runtime_error naming the path when it cannot be read.
std::string sha256_file(const std::string& path);
// Feeds a whole file into an ongoing hash.
void sha256_add_file(Sha256& h, const std::string& path);

}  // namespace tristate::lab
