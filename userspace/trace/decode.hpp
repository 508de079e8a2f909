// Raw ring-buffer records (bpf/tristate.h) -> report::Event.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "report/report.hpp"

struct ts_event;

namespace tristate::trace {

// nullopt for a record of the wrong size or an unknown kind (a newer BPF object).
std::optional<report::Event> decode_event(const void* data, std::size_t size);
// What a reused Event's names were decoded from, by the record's own numbers: decoding the
// next record into that Event assigns only the names that differ. Comparing numbers is what
// makes it cheap: the reader decodes every traced event, and four strings compared or copied
// per event were most of its cost (bench/trace_bench --profile).
struct HeldNames {
  bool valid = false;  // false: the Event's names are unknown (never decoded into, or failed)
  std::uint8_t kind = 0, func = 0, path = 0;
  char comm[16] = {};
};

// The same into `out`, which may hold an earlier event (the tracer's reader reuses its
// Events): every field is overwritten. `held`, when given, describes `out` and is updated.
// false as above, with `out` and `held` unchanged.
bool decode_event_into(const void* data, std::size_t size, report::Event& out, HeldNames* held = nullptr);

// The kernel function names the BPF side numbers (enum ts_func).
std::string_view function_name(unsigned func);

}  // namespace tristate::trace
