// Owners of libbpf objects (skeletons, links, ring buffers): a std::unique_ptr whose deleter
// is the library's own destroy function, so no early return leaks one. Each type's deleter is
// declared beside the type's forward declaration and defined where its header is included:
// a skeleton's __destroy() is inline in its generated .skel.h, which only one .cpp includes.
#pragma once

#include <memory>

struct bpf_link;
struct ring_buffer;

namespace tristate::trace {

template <typename T>
struct LibbpfDestroy {
  void operator()(T* p) const;
};

template <typename T>
using LibbpfPtr = std::unique_ptr<T, LibbpfDestroy<T>>;

template <>
void LibbpfDestroy<bpf_link>::operator()(bpf_link* p) const;
template <>
void LibbpfDestroy<ring_buffer>::operator()(ring_buffer* p) const;

}  // namespace tristate::trace
