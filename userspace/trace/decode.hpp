// Raw ring-buffer records (bpf/tristate.h) -> report::Event.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

#include "report/report.hpp"

struct ts_event;

namespace tristate::trace {

// nullopt for a record of the wrong size or an unknown kind (a newer BPF object).
std::optional<report::Event> decode_event(const void* data, std::size_t size);
// The same into `out`, which may hold an earlier event (the tracer's reader reuses its
// Events): every field is overwritten. false as above.
bool decode_event_into(const void* data, std::size_t size, report::Event& out);

// How many events a ring record holds: one, or an operation's events back to back
// (bpf/tristate.bpf.c, flush()); 0 for a size that is not a whole number of events.
std::size_t events_in_record(std::size_t size);

// The kernel function names the BPF side numbers (enum ts_func).
std::string_view function_name(unsigned func);

}  // namespace tristate::trace
