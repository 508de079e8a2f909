// Owns the loaded `tristate ports` BPF object (bpf/ports.bpf.c) and its iterator links.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "trace/libbpf_owner.hpp"
#include "trace/result.hpp"

struct ports_bpf;

namespace tristate::trace {
template <>
void LibbpfDestroy<ports_bpf>::operator()(ports_bpf* p) const;
}  // namespace tristate::trace

namespace tristate::ports {

using trace::Error;
using trace::Result;

class PortReader {
 public:
  // Fails with one line (mechanism, errno, what is needed) where the iterators are refused.
  static Result<std::unique_ptr<PortReader>> load();
  ~PortReader();
  PortReader(const PortReader&) = delete;
  PortReader& operator=(const PortReader&) = delete;

  bool legacy() const { return legacy_; }  // 5.8 - 5.10: socket files found by inode type

  // Socket files of every process whose bucket blocks connect() and whose port is in [lo, hi],
  // any namespace. Appends.
  Result<bool> read_holders(std::uint16_t lo, std::uint16_t hi, std::vector<char>& out);
  // Every socket of the calling thread's network namespace's TCP tables. Appends.
  Result<bool> read_tables(std::vector<char>& out);

 private:
  PortReader() = default;
  // declared before the links: destroyed after them, as the programs they hold
  trace::LibbpfPtr<ports_bpf> skel_;
  trace::LibbpfPtr<bpf_link> task_link_;
  trace::LibbpfPtr<bpf_link> tcp_link_;
  bool legacy_ = false;
};

}  // namespace tristate::ports
