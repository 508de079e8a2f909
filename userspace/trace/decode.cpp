#include "trace/decode.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstring>

extern "C" {
#include "bpf/tristate.h"
}

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

std::string_view kind_name(unsigned kind) {
  switch (kind) {
    case TS_EV_BUCKET_CREATE: return "bucket_create";
    case TS_EV_BUCKET_STATE: return "bucket_state";
    case TS_EV_BUCKET_DESTROY: return "bucket_destroy";
    case TS_EV_BIND_ALLOC: return "bind_alloc";
    case TS_EV_CONNECT_ALLOC: return "connect_alloc";
    case TS_EV_BUCKET2_CREATE: return "bucket2_create";
    case TS_EV_BUCKET2_DESTROY: return "bucket2_destroy";
  }
  return {};
}

std::string_view path_name(unsigned path) {
  switch (path) {
    case TS_PATH_BIND: return "bind";
    case TS_PATH_LISTEN: return "listen";
    case TS_PATH_CONNECT: return "connect";
    case TS_PATH_RELEASE: return "release";
  }
  return "";
}

// Dotted quad without inet_ntop, which formats through sprintf: ~1,500 instructions a call,
// more than the rest of an event's decoding (callgrind, decode_event_into in a loop).
void format_ipv4(const unsigned char* a, std::string& out) {
  char buf[16];
  char* p = buf;
  for (int i = 0; i < 4; ++i) {
    unsigned v = a[i];
    if (v >= 100) *p++ = char('0' + v / 100);
    if (v >= 10) *p++ = char('0' + v / 10 % 10);
    *p++ = char('0' + v % 10);
    if (i < 3) *p++ = '.';
  }
  out.assign(buf, std::size_t(p - buf));
}

// 6.1-6.7 tell the family; 6.8+ store IPv4 as v4-mapped IPv6.
void decode_addr(const ts_event& e, std::string& out) {
  static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (e.addr_family == AF_INET) {
    format_ipv4(e.addr, out);
  } else if (e.addr_family == 0 && std::memcmp(e.addr, kMapped, 12) == 0) {
    format_ipv4(e.addr + 12, out);
  } else {
    char buf[INET6_ADDRSTRLEN] = {};
    inet_ntop(AF_INET6, e.addr, buf, sizeof(buf));
    out.assign(buf);
  }
}

// A name into a reused string. assign() goes through std::string's general _M_replace, ~80
// instructions for a short name (callgrind); clear() and append() into the capacity the
// string already has are a length check and a copy.
void assign_name(std::string& s, std::string_view v) {
  s.clear();
  s.append(v.data(), v.size());
}

}  // namespace

std::string_view function_name(unsigned func) {
  switch (func) {
    case TS_FN_INET_CSK_GET_PORT: return "inet_csk_get_port";
    case TS_FN_INET_HASH_CONNECT: return "__inet_hash_connect";
    case TS_FN_BIND_BUCKET_CREATE: return "inet_bind_bucket_create";
    case TS_FN_UPDATE_FASTREUSE: return "inet_csk_update_fastreuse";
    case TS_FN_BIND_BUCKET_DESTROY: return "inet_bind_bucket_destroy";
    case TS_FN_BIND2_BUCKET_CREATE: return "inet_bind2_bucket_create";
    case TS_FN_BIND2_BUCKET_DESTROY: return "inet_bind2_bucket_destroy";
    case TS_FN_PUT_PORT: return "inet_put_port";
  }
  return "?";
}

bool decode_event_into(const void* data, std::size_t size, report::Event& ev, HeldNames* held) {
  if (size < sizeof(ts_event)) return false;
  ts_event e;
  std::memcpy(&e, data, sizeof(e));
  const std::string_view kind = kind_name(e.kind);
  if (kind.empty()) return false;
  // Every live-traced event passes here, into an Event reused from the previous batch: every
  // field is assigned, the strings keep their capacity, and with `held` a name is assigned
  // only when its number changed (one workload keeps its comm; the kinds rotate).
  const bool known = held && held->valid;
  ev.ts_ns = e.ts_ns;
  ev.pid = e.pid;
  ev.tid = e.tid;
  if (!known || std::memcmp(held->comm, e.comm, sizeof(e.comm)) != 0)
    assign_name(ev.comm, std::string_view(e.comm, strnlen(e.comm, sizeof(e.comm))));
  ev.netns = e.netns;
  if (!known || held->kind != e.kind) assign_name(ev.kind, kind);
  if (!known || held->func != e.func) assign_name(ev.function, function_name(e.func));
  if (!known || held->path != e.path) assign_name(ev.path, path_name(e.path));
  if (held) {
    held->valid = true;
    held->kind = e.kind;
    held->func = e.func;
    held->path = e.path;
    std::memcpy(held->comm, e.comm, sizeof(e.comm));
  }
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
    ev.addr.clear();
  return true;
}

std::optional<report::Event> decode_event(const void* data, std::size_t size) {
  report::Event ev;
  if (!decode_event_into(data, size, ev)) return std::nullopt;
  return ev;
}

}  // namespace tristate::trace
