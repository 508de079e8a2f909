// SHA-256 of files the lab ships, remembered between runs: naming an initramfs hashed every
// shipped byte on every run (a RelWithDebInfo tristate is 130 MB, ~0.16 s before any guest
// could start) although the files rarely change between two runs.
//
// A digest is reused only while the file's stat() is what it was when the digest was taken:
// path, device, inode, size, mtime and ctime (nanoseconds). Any write changes mtime and ctime,
// and ctime cannot be set back by a user (utimensat sets it to now), so a rewritten file,
// even one given its old mtime, is hashed again. Timestamps come from a coarse clock (a few
// ms): a file written again within the same tick as it was hashed could keep all of them, so,
// as git does with its index ("racy git"), a digest is not remembered for a file changed less
// than kSettle before it was hashed.
//
// Only the content naming uses this. The seals (lab/sealed_file) exist to find damage that
// leaves stat() alone (a bad sector), so they keep hashing the bytes.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include "lab/sha256.hpp"
#include "util/result.hpp"

namespace tristate::lab {

class FileDigests {
 public:
  static constexpr std::chrono::seconds kSettle{2};

  // The memo in `file`; a missing or garbled file is an empty memo (digests are recomputed).
  // `settle`: kSettle but in tests.
  static FileDigests load(const std::filesystem::path& file, std::chrono::nanoseconds settle = kSettle);

  // `path`'s SHA-256 (hex), remembered when its stat() matches, else read and hashed. Throws
  // std::runtime_error naming the path when it cannot be read. Not thread-safe.
  std::string sha256(const std::string& path);

  // Writes the memo back (atomically) when it changed: the entries looked up in this run plus
  // earlier ones whose file is still as remembered.
  util::Result<void> save() const;

  std::size_t hashed() const { return hashed_; }  // files read whole in this run
  std::size_t reused() const { return reused_; }  // files taken from the memo

 private:
  struct Key {
    std::uint64_t dev = 0, ino = 0, size = 0;
    std::int64_t mtime_ns = 0, ctime_ns = 0;
    bool operator==(const Key&) const = default;
  };
  struct Entry {
    Key key;
    std::string sha256;  // hex
    bool used = false;   // looked up or made in this run
  };
  std::filesystem::path file_;
  std::chrono::nanoseconds settle_{kSettle};
  std::map<std::string, Entry> entries_;  // by path
  bool changed_ = false;
  std::size_t hashed_ = 0, reused_ = 0;
};

}  // namespace tristate::lab
