// SHA-256, used to name cached initramfs images by content and to check cached files before
// they boot (vmlinuz, vmlinux.pvh, initramfs): ~100 MB a boot with a debug-info build. Nettle's:
// it uses the CPU's SHA extensions, 62 MB in 0.08-0.11 s (OpenSSL's libcrypto 0.04-0.07 s,
// libmd's portable C 0.38-0.51 s), and everything linked into tristate is shipped into every
// lab guest: libnettle is 0.3 MB where libcrypto was 4.7 MB (docs/design.md, "What the
// binary carries into a guest").
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace tristate::lab {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(const void* data, std::size_t len);
  void update(std::string_view s) { update(s.data(), s.size()); }
  std::string hex();  // finishes the digest; the object is spent afterwards

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

// Hashes a whole file; throws std::runtime_error naming the path when it cannot be read.
std::string sha256_file(const std::string& path);
// Feeds a whole file into an ongoing hash.
void sha256_add_file(Sha256& h, const std::string& path);

}  // namespace tristate::lab
