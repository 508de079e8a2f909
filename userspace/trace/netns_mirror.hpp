// The programs' first look at the watched namespaces: netns_fast / netns_fast_n in
// bpf/tristate.bpf.c's .bss, mapped into this process. The netns_filter map stays
// authoritative and is written before these are called. An entry never moves while it is
// watched (a removed one leaves a 0), so a program running during a rewrite still finds every
// namespace watched throughout; past TS_NETNS_FAST entries the count turns TS_NETNS_SLOW and
// every check asks the map. One writer (the tracer's thread); stores are release-ordered so an
// entry is in place before the count that covers it.
#pragma once

#include <cstdint>

extern "C" {
#include "bpf/tristate.h"
}

namespace tristate::trace {

inline void netns_mirror_add(std::uint32_t* fast, std::uint32_t* n, std::uint32_t key) {
  const std::uint32_t used = __atomic_load_n(n, __ATOMIC_RELAXED);
  if (used > TS_NETNS_FAST) return;  // the map alone decides already
  for (std::uint32_t i = 0; i < used; ++i)
    if (fast[i] == key) return;
  for (std::uint32_t i = 0; i < used; ++i)
    if (fast[i] == 0) return __atomic_store_n(&fast[i], key, __ATOMIC_RELEASE);
  if (used < TS_NETNS_FAST) {
    __atomic_store_n(&fast[used], key, __ATOMIC_RELEASE);
    __atomic_store_n(n, used + 1, __ATOMIC_RELEASE);
  } else {
    __atomic_store_n(n, std::uint32_t{TS_NETNS_SLOW}, __ATOMIC_RELEASE);
  }
}

inline void netns_mirror_remove(std::uint32_t* fast, std::uint32_t* n, std::uint32_t key) {
  const std::uint32_t used = __atomic_load_n(n, __ATOMIC_RELAXED);
  for (std::uint32_t i = 0; i < used && i < TS_NETNS_FAST; ++i)
    if (fast[i] == key) __atomic_store_n(&fast[i], std::uint32_t{0}, __ATOMIC_RELEASE);
}

}  // namespace tristate::trace
