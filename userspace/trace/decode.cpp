#include "trace/decode.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstring>
#include <iterator>
#include <optional>

extern "C" {
#include "bpf/tristate.h"
}
#include "trace/attach_plan.hpp"

namespace tristate::trace {

// The layout is shared with the BPF compiler: pin it so a change on one side fails the build.
static_assert(sizeof(ts_event) == 88);
static_assert(offsetof(ts_event, bucket) == 8);
static_assert(offsetof(ts_event, netns) == 24);
static_assert(offsetof(ts_event, port) == 36);
static_assert(offsetof(ts_event, kind) == 40);
static_assert(offsetof(ts_event, before_fastreuse) == 44);
static_assert(offsetof(ts_event, addr_family) == 48);
static_assert(offsetof(ts_event, addr) == 56);
static_assert(offsetof(ts_event, comm) == 72);

namespace {

using report::EventKind;
using report::OpPath;
// The BPF side's kind numbers (bpf/tristate.h) are report::EventKind's order from 1, so a
// kind decodes by arithmetic and a new one needs no entry here. The count keeps the two in step.
static_assert(TS_EV_COUNT == report::kEventKindNames.size() + 1);
static_assert(TS_EV_BUCKET_CREATE - 1 == int(EventKind::bucket_create) &&
              TS_EV_CONNECT_SKIP - 1 == int(EventKind::connect_skip) &&
              TS_EV_BUCKET2_DESTROY - 1 == int(EventKind::bucket2_destroy));
constexpr OpPath kPaths[] = {OpPath::none, OpPath::bind, OpPath::listen, OpPath::connect, OpPath::release};
static_assert(kPaths[TS_PATH_BIND] == OpPath::bind && kPaths[TS_PATH_RELEASE] == OpPath::release);
// None for a kind this build does not know (a newer BPF object): the record is refused.
std::optional<EventKind> kind_of(unsigned kind) {
  if (kind == 0 || kind >= TS_EV_COUNT || kind == TS_EV_CONNECT_SKIP) return std::nullopt;
  return EventKind(kind - 1);
}
OpPath path_of(unsigned path) { return path < std::size(kPaths) ? kPaths[path] : OpPath::none; }
// From attach_plan's table, which holds each traced function's TS_FN_ number: a new function
// is named here without an entry of its own. "?" for a number no row has.
const report::Name& function_name_of(unsigned func) {
  static const std::vector<report::Name> names = [] {
    std::vector<report::Name> v(1, report::Name("?"));
    for (const auto& [id, name] : traced_function_ids()) {
      if (id >= v.size()) v.resize(id + 1, report::Name("?"));
      v[id] = report::Name(name);
    }
    return v;
  }();
  return func < names.size() ? names[func] : names[0];
}

// Each octet's decimal text, built at compile time: a dotted quad is four table copies.
struct Octets {
  char text[256][4];  // up to three digits, then the length in text[v][3]
  constexpr Octets() : text{} {
    for (unsigned v = 0; v < 256; ++v) {
      char* p = text[v];
      if (v >= 100) *p++ = char('0' + v / 100);
      if (v >= 10) *p++ = char('0' + v / 10 % 10);
      *p++ = char('0' + v % 10);
      text[v][3] = char(p - text[v]);
    }
  }
};
constexpr Octets kOctets;

using Padded = char[report::Name::kCapacity + 1];
static_assert(INET6_ADDRSTRLEN <= sizeof(Padded));

// Dotted quad without inet_ntop, which formats through sprintf: ~1,500 instructions a call,
// more than the rest of an event's decoding; from the table, not by division, straight into a
// Name's layout (callgrind, decode_event_into in a loop, formatting and copying into the
// Event: ~150 by division, ~113 by table through Name::assign, ~63 now). Returns its length.
std::size_t format_ipv4(const unsigned char* a, Padded& buf) {
  char* p = buf;
  for (int i = 0; i < 4; ++i) {
    const char* t = kOctets.text[a[i]];
    std::memcpy(p, t, 4);  // the fourth byte is overwritten by '.' or by zeros below
    p += t[3];
    *p++ = '.';
  }
  *--p = '\0';
  std::memset(p, 0, 4);  // what the last octet's copy left past its end
  return std::size_t(p - buf);
}

// 6.1-6.7 tell the family; 6.8+ store IPv4 as v4-mapped IPv6.
void decode_addr(const ts_event& e, report::Name& out) {
  static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  Padded buf = {};
  std::size_t len;
  if (e.addr_family == AF_INET) {
    len = format_ipv4(e.addr, buf);
  } else if (e.addr_family == 0 && std::memcmp(e.addr, kMapped, 12) == 0) {
    len = format_ipv4(e.addr + 12, buf);
  } else {
    inet_ntop(AF_INET6, e.addr, buf, sizeof(buf));
    len = strnlen(buf, sizeof(buf));
  }
  out.assign_padded(buf, len);
}

}  // namespace

std::size_t events_in_record(std::size_t size) {
  return size % sizeof(ts_event) == 0 ? size / sizeof(ts_event) : 0;
}

std::string_view function_name(unsigned func) { return function_name_of(func); }

bool decode_event_into(const void* data, std::size_t size, report::Event& ev) {
  if (size < sizeof(ts_event)) return false;
  ts_event e;
  std::memcpy(&e, data, sizeof(e));
  const std::optional<EventKind> kind = kind_of(e.kind);
  if (!kind) return false;
  // Every live-traced event passes here, into an Event reused from the previous batch (the
  // reader's cost per event, bench/trace_bench --profile): every field is assigned, each name
  // as a fixed copy. A Name holds zeros past its end and the BPF side zero-pads comm, so the
  // same comm is the same 16 bytes (one workload's events keep it: no copy).
  ev.ts_ns = e.ts_ns;
  ev.pid = e.pid;
  ev.tid = e.tid;
  static_assert(sizeof(e.comm) <= report::Name::kCapacity);
  if (std::memcmp(ev.comm.c_str(), e.comm, sizeof(e.comm)) != 0)
    ev.comm.assign(std::string_view(e.comm, strnlen(e.comm, sizeof(e.comm))));
  ev.netns = e.netns;
  ev.kind = *kind;
  ev.function = function_name_of(e.func);
  ev.path = path_of(e.path);
  ev.port = e.port;
  ev.l3mdev = e.l3mdev;
  ev.bucket = e.bucket;
  ev.before.reset();
  ev.after.reset();
  ev.requested_port.reset();
  ev.result.reset();
  if (e.flags & TS_F_BEFORE) ev.before = report::BucketState{e.before_fastreuse, e.before_fastreuseport};
  if (e.flags & TS_F_AFTER) ev.after = report::BucketState{e.after_fastreuse, e.after_fastreuseport};
  if (e.flags & TS_F_REQUESTED) ev.requested_port = e.requested_port;
  if (e.flags & TS_F_RESULT) ev.result = e.result;
  if (e.flags & TS_F_ADDR)
    decode_addr(e, ev.addr);
  else
    ev.addr = report::Name();
  return true;
}

std::optional<report::Event> decode_event(const void* data, std::size_t size) {
  report::Event ev;
  if (!decode_event_into(data, size, ev)) return std::nullopt;
  return ev;
}

}  // namespace tristate::trace
