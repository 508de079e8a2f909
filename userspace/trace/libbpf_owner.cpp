#include "trace/libbpf_owner.hpp"

#include <bpf/libbpf.h>

namespace tristate::trace {

template <>
void LibbpfDestroy<bpf_link>::operator()(bpf_link* p) const {
  bpf_link__destroy(p);
}

template <>
void LibbpfDestroy<ring_buffer>::operator()(ring_buffer* p) const {
  ring_buffer__free(p);
}

}  // namespace tristate::trace
