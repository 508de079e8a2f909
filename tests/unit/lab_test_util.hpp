// Helpers the lab unit tests share: a scratch directory and a gzip stream as a guest's busybox
// would write it.
#pragma once

#include <unistd.h>
#include <zlib.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "lab/cache.hpp"

namespace tristate::lab::testing {

// A fresh directory under /tmp, removed with everything in it when the test ends.
struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& prefix = "tristate-lab-test") {
    std::string tmpl = "/tmp/" + prefix + "-XXXXXX";
    path = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

// `text` as one gzip member (busybox gzip's default level).
inline std::string gzip(const std::string& text) {
  z_stream z{};
  deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, text.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

// `v`'s bytes at `off` in `b`, growing it as needed.
template <typename T>
void put(std::string& b, std::size_t off, T v) {
  if (b.size() < off + sizeof(T)) b.resize(off + sizeof(T), '\0');
  std::memcpy(b.data() + off, &v, sizeof(T));
}

// A bzImage-shaped file: boot header 2.15, one setup sector, the payload at 0x100 into the
// protected-mode code, followed (as kbuild does) by the uncompressed size.
inline std::string bzimage(const std::string& payload) {
  std::string b(1024 + 0x100, '\0');
  b[0x1f1] = 1;
  std::memcpy(b.data() + 0x202, "HdrS", 4);
  put<std::uint16_t>(b, 0x206, 0x20f);
  put<std::uint32_t>(b, 0x248, 0x100);
  put<std::uint32_t>(b, 0x24c, static_cast<std::uint32_t>(payload.size() + 4));
  b += payload;
  put<std::uint32_t>(b, b.size(), 12345);
  return b;
}

// A cache entry in `dir` whose vmlinuz is `image`.
inline Kernel cached_kernel(const std::filesystem::path& dir, const std::string& image, const std::string& origin = "series") {
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "vmlinuz", std::ios::binary) << image;
  Kernel k;
  k.vmlinuz = dir / "vmlinuz";
  k.manifest.origin = origin;
  return k;
}

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace tristate::lab::testing
