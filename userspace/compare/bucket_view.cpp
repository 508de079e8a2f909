#include "compare/bucket_view.hpp"

#include <algorithm>

#include "report/state_text.hpp"

namespace tristate::compare {

using report::BucketState;
using report::Event;
using report::EventKind;
using report::pair_text;
using report::tri_value;

std::string node_name(const BucketState& s) {
  // A pair that disagrees is exactly the case the notes warn about (SO_REUSEADDR into a -1
  // bucket leaves -1/0): collapsing it to one number would mislabel the bucket.
  return s.fastreuse == s.fastreuseport ? tri_value(s.fastreuse) : pair_text(s);
}

namespace {

bool is_bhash_kind(EventKind kind) {
  return kind == EventKind::bucket_create || kind == EventKind::bucket_state || kind == EventKind::bucket_destroy;
}

std::string who(const Event& e) {
  if (e.kind == EventKind::connect_skip) return "connect, skipped";
  if (e.path != report::OpPath::none) return std::string(report::name(e.path));
  return std::string(report::name(e.kind));
}

}  // namespace

std::string BucketTracker::step_state(const std::vector<Event>& events) {
  for (const Event& e : events) {
    if (e.kind == EventKind::bucket_create && e.after) live_[e.port] = *e.after;
    if (e.kind == EventKind::bucket_state && e.after) live_[e.port] = *e.after;
    if (e.kind == EventKind::bucket_destroy) live_.erase(e.port);
  }
  if (events.empty()) return "no bucket event";
  // The port's tri-state is the bhash bucket's; bucket2_* (per-address, 6.1+) events would
  // make kernels without bhash2 look different, so they never decide.
  const Event* last = nullptr;
  for (auto it = events.rbegin(); it != events.rend() && !last; ++it)
    if (!report::is_bhash2(it->kind)) last = &*it;
  if (!last) return "no bucket event";
  const Event& e = *last;
  const std::string port = "port " + std::to_string(e.port) + ": ";
  if (e.kind == EventKind::bucket_destroy) return port + "absent (" + who(e) + ")";
  // A connect_skip's `before` is the state that made connect() pass the port over.
  if (e.after) return port + pair_text(*e.after) + " (" + who(e) + ")";
  if (e.before) return port + pair_text(*e.before) + " (" + who(e) + ")";

  // An allocation that carries no state (typically a refusal: the kernel returns before it
  // reports a port) was decided by the bucket already there: the port asked for, or, with a
  // one-port range, the only bucket alive.
  const bool refused = e.result && *e.result != 0;
  const std::string how = " (" + who(e) + (refused ? ", refused" : "") + ")";
  std::uint16_t p = e.port;
  if (!p && e.requested_port && *e.requested_port > 0) p = static_cast<std::uint16_t>(*e.requested_port);
  if (!p && live_.size() == 1) p = live_.begin()->first;
  if (!p) return std::string(report::name(e.kind)) + how;
  auto it = live_.find(p);
  return "port " + std::to_string(p) + ": " + (it == live_.end() ? "absent" : pair_text(it->second)) +
         how;
}

std::string deciding_state(const std::vector<Event>& events) {
  BucketTracker t;
  return t.step_state(events);
}

bool same_event(const Event& a, const Event& b) {
  // `result` is left out: kernels up to 6.0 return 1 from inet_csk_get_port() on failure,
  // later ones -EADDRINUSE; the step's outcome already says whether it failed.
  // Where a bucket's creation or destruction was seen depends on what the compiler inlined:
  // kernels that inline inet_bind_bucket_create/_destroy (and bhash2's
  // inet_bind2_bucket_create/_destroy) into __inet_hash_connect and __inet_put_port have them
  // reported at those callers. The fact is compared, not the place.
  const bool placement_varies = a.kind == EventKind::bucket_create || a.kind == EventKind::bucket_destroy ||
                                report::is_bhash2(a.kind);
  return a.kind == b.kind && (placement_varies || a.function == b.function) && a.path == b.path &&
         a.port == b.port && a.before == b.before && a.after == b.after &&
         a.requested_port == b.requested_port && a.addr == b.addr;
}

std::vector<Transition> transitions_of(const report::Step& step) {
  std::vector<Transition> out;
  for (const Event& e : step.events) {
    if (!is_bhash_kind(e.kind)) continue;
    Transition t;
    t.step = step.index;
    t.source = step.source;
    t.port = e.port;
    if (e.kind == EventKind::bucket_create) {
      if (!e.after) continue;
      t.from = "absent";
      t.to = node_name(*e.after);
    } else if (e.kind == EventKind::bucket_destroy) {
      t.from = e.before ? node_name(*e.before) : e.after ? node_name(*e.after) : "?";
      t.to = "absent";
    } else {
      if (!e.before || !e.after || *e.before == *e.after) continue;  // not a move
      t.from = node_name(*e.before);
      t.to = node_name(*e.after);
    }
    out.push_back(std::move(t));
  }
  return out;
}

std::string cell_outcome(const Cell& c) {
  if (!c.present) return "—";
  return c.matched ? c.outcome : c.outcome + " ✗";
}

std::string shorten(const std::string& source, std::size_t max) {
  // Count code points, not bytes, so a cut never splits a UTF-8 sequence.
  std::size_t points = 0, cut = std::string::npos;
  for (std::size_t i = 0; i < source.size(); ++i) {
    if ((static_cast<unsigned char>(source[i]) & 0xC0) == 0x80) continue;
    if (points == (max > 0 ? max - 1 : 0)) cut = i;
    ++points;
  }
  if (points <= max || cut == std::string::npos) return source;
  return source.substr(0, cut) + "…";
}

}  // namespace tristate::compare
