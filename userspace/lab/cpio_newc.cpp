#include "lab/cpio_newc.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace tristate::lab {

void NewcWriter::pad() {
  static constexpr char zeros[4] = {};
  const auto n = (4 - offset_ % 4) % 4;
  out_.write(zeros, static_cast<std::streamsize>(n));
  offset_ += n;
}

void NewcWriter::add(std::string_view name, unsigned mode, std::string_view data) {
  const bool dir = (mode & S_IFMT) == S_IFDIR;
  // magic, then 13 eight-digit hex fields: ino mode uid gid nlink mtime filesize devmajor
  // devminor rdevmajor rdevminor namesize check
  char header[6 + 13 * 8 + 1];
  std::snprintf(header, sizeof header, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
                inode_++, mode, 0u, 0u, dir ? 2u : 1u, 0u, static_cast<unsigned>(data.size()), 0u, 0u, 0u, 0u,
                static_cast<unsigned>(name.size() + 1), 0u);
  out_.write(header, sizeof header - 1);
  out_.write(name.data(), static_cast<std::streamsize>(name.size()));
  out_.put('\0');
  offset_ += sizeof header - 1 + name.size() + 1;
  pad();
  out_.write(data.data(), static_cast<std::streamsize>(data.size()));
  offset_ += data.size();
  pad();
}

void NewcWriter::finish() {
  inode_ = 0;
  add("TRAILER!!!", 0, {});
}

namespace {

std::string read_whole(const fs::path& p, std::uintmax_t size) {
  std::ifstream in(p, std::ios::binary);
  std::string bytes(size, '\0');
  if (!in || !in.read(bytes.data(), static_cast<std::streamsize>(size)))
    throw std::runtime_error("initramfs: cannot read " + p.string());
  return bytes;
}

}  // namespace

void pack_newc(const fs::path& root, const fs::path& archive) {
  std::vector<fs::path> entries;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it)
    entries.push_back(it->path());
  // Byte order, as `find | LC_ALL=C sort` gave: a directory comes before what it holds.
  std::sort(entries.begin(), entries.end(),
            [](const fs::path& a, const fs::path& b) { return a.native() < b.native(); });

  std::ofstream out(archive, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error("initramfs: cannot write " + archive.string());
  NewcWriter w(out);
  for (const auto& p : entries) {
    struct stat st {};
    if (lstat(p.c_str(), &st) != 0) throw std::runtime_error("initramfs: cannot stat " + p.string());
    const std::string name = p.lexically_relative(root).string();
    const unsigned perm = st.st_mode & 07777;
    switch (st.st_mode & S_IFMT) {
      case S_IFDIR: w.add(name, S_IFDIR | perm, {}); break;
      case S_IFREG: w.add(name, S_IFREG | perm, read_whole(p, static_cast<std::uintmax_t>(st.st_size))); break;
      case S_IFLNK: w.add(name, S_IFLNK | 0777, fs::read_symlink(p).string()); break;
      default: throw std::runtime_error("initramfs: " + p.string() + " is not a directory, file or symbolic link");
    }
  }
  w.finish();
  out.flush();
  if (!out) throw std::runtime_error("initramfs: writing " + archive.string() + " failed");
}

}  // namespace tristate::lab
