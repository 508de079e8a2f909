// What an event is and which socket operation caused it, as types. Each enum has one name
// table (event_kind.cpp) used by the BPF decoder, the JSON reader and writer, the report
// checker and every renderer, so a new kind is added in one place and `-Wswitch` points at
// every switch that must learn it.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace tristate::report {

enum class EventKind : std::uint8_t {
  bucket_create,    // inet_bind_bucket_create: a bhash bucket was made
  bucket_state,     // fastreuse/fastreuseport written (changed or re-read)
  bucket_destroy,   // the bucket's last owner left
  bind_alloc,       // inet_csk_get_port returned (bind(), listen())
  connect_alloc,    // __inet_hash_connect returned (connect())
  connect_skip,     // reserved in the schema; never emitted (explain.cpp derives the skip)
  bucket2_create,   // bhash2 (6.1+)
  bucket2_destroy,
};

// Which socket operation of the traced thread the event happened in; none when outside one
// (a timer freeing a TIME_WAIT bucket, softirq work for an accepted connection).
enum class OpPath : std::uint8_t { none, bind, listen, connect, release };

std::string_view name(EventKind k);
std::string_view name(OpPath p);  // "" for none, as the JSON leaves the field out

std::optional<EventKind> event_kind_from(std::string_view s);
std::optional<OpPath> op_path_from(std::string_view s);  // "" is none

// Every name, in declaration order (the report checker lists them in its error).
std::span<const std::string_view> event_kind_names();

constexpr bool is_bhash2(EventKind k) {
  return k == EventKind::bucket2_create || k == EventKind::bucket2_destroy;
}
constexpr bool is_alloc(EventKind k) { return k == EventKind::bind_alloc || k == EventKind::connect_alloc; }

}  // namespace tristate::report
