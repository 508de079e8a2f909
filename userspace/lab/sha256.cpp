#include "lab/sha256.hpp"

#include <nettle/sha2.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <vector>

namespace tristate::lab {

struct Sha256::Ctx {
  sha256_ctx sha;
};

Sha256::Sha256() : ctx_(std::make_unique<Ctx>()) { sha256_init(&ctx_->sha); }

Sha256::~Sha256() = default;

void Sha256::update(const void* data, std::size_t len) {
  sha256_update(&ctx_->sha, len, static_cast<const std::uint8_t*>(data));
}

std::string Sha256::hex() {
  std::uint8_t md[SHA256_DIGEST_SIZE];
  sha256_digest(&ctx_->sha, sizeof md, md);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const std::uint8_t b : md) {
    out += kHex[b >> 4];
    out += kHex[b & 0xf];
  }
  return out;
}

void sha256_add_file(Sha256& h, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot read: " + std::strerror(errno));
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), std::streamsize(buf.size()));
    h.update(buf.data(), std::size_t(in.gcount()));
  }
  if (in.bad()) throw std::runtime_error(path + ": read error");
}

std::string sha256_file(const std::string& path) {
  Sha256 h;
  sha256_add_file(h, path);
  return h.hex();
}

}  // namespace tristate::lab
