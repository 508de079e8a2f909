#include "report/report_check.hpp"

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <map>
#include <span>
#include <string_view>

#include "report/json_id.hpp"
#include "report/kinds.hpp"
#include "report/name.hpp"

namespace tristate::report {
namespace {

using nlohmann::json;

// Shows a found value in a message without echoing a megabyte of it.
std::string shown(const json& v) {
  std::string s = v.dump(-1, ' ', false, json::error_handler_t::replace);
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

// Walks one document, keeping the first problem. Each helper takes the object, its path and
// a key; `required` fields must be present, optional ones may also be null.
class Checker {
 public:
  std::optional<std::string> first;

  bool failed() const { return first.has_value(); }
  void fail(const std::string& path, const std::string& what) {
    if (!first) first = (path.empty() ? std::string("/") : path) + ": " + what;
  }

  const json* field(const json& o, const std::string& path, const char* key, bool required) {
    auto it = o.find(key);
    if (it == o.end() || (!required && it->is_null())) {
      if (required) fail(path, std::string("missing field \"") + key + "\"");
      return nullptr;
    }
    return &*it;
  }

  void integer(const json& o, const std::string& path, const char* key, long double lo,
               long double hi, bool required = false) {
    const json* v = field(o, path, key, required);
    if (!v) return;
    const std::string p = path + "/" + key;
    const bool is_int = v->is_number_integer();
    const long double x = v->is_number_unsigned() ? static_cast<long double>(v->get<std::uint64_t>())
                          : is_int               ? static_cast<long double>(v->get<std::int64_t>())
                                                 : 0;
    if (!is_int || x < lo || x > hi)
      fail(p, "expected an integer " + range(lo, hi) + ", found " + shown(*v));
  }

  // A 64-bit id: a decimal string (tristate.report/2) or an unsigned integer (1.x).
  void id(const json& o, const std::string& path, const char* key) {
    const json* v = field(o, path, key, false);
    if (v && !id_from_json(*v))
      fail(path + "/" + key, "expected a 64-bit id (a string of decimal digits up to "
                             "18446744073709551615, or such an integer), found " + shown(*v));
  }

  void number(const json& o, const std::string& path, const char* key, double lo) {
    const json* v = field(o, path, key, false);
    if (!v) return;
    if (!v->is_number() || !std::isfinite(v->get<double>()) || v->get<double>() < lo)
      fail(path + "/" + key, "expected a finite number >= " + std::to_string(static_cast<long long>(lo)) +
                                 ", found " + shown(*v));
  }

  void boolean(const json& o, const std::string& path, const char* key, bool required = false) {
    const json* v = field(o, path, key, required);
    if (v && !v->is_boolean()) fail(path + "/" + key, "expected true or false, found " + shown(*v));
  }

  // max_len: for fields held in a fixed-size report::Name.
  void string(const json& o, const std::string& path, const char* key, bool required = false,
              std::size_t max_len = std::numeric_limits<std::size_t>::max()) {
    const json* v = field(o, path, key, required);
    if (!v) return;
    if (!v->is_string())
      fail(path + "/" + key, "expected a string, found " + shown(*v));
    else if (v->get_ref<const std::string&>().size() > max_len)
      fail(path + "/" + key, "longer than " + std::to_string(max_len) + " characters");
  }

  void one_of(const json& o, const std::string& path, const char* key,
              std::initializer_list<std::string_view> allowed, bool required = false) {
    one_of(o, path, key, std::span<const std::string_view>(allowed.begin(), allowed.size()), required);
  }
  void one_of(const json& o, const std::string& path, const char* key,
              std::span<const std::string_view> allowed, bool required = false) {
    const json* v = field(o, path, key, required);
    if (!v) return;
    if (v->is_string())
      for (auto a : allowed)
        if (v->get_ref<const std::string&>() == a) return;
    std::string list;
    for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
    fail(path + "/" + key, "expected one of " + list + ", found " + shown(*v));
  }

  // Calls each(element, element_path) for an array field.
  template <typename F>
  void array(const json& o, const std::string& path, const char* key, bool required, F each) {
    const json* v = field(o, path, key, required);
    if (!v) return;
    const std::string p = path + "/" + key;
    if (!v->is_array()) return fail(p, "expected an array, found " + shown(*v));
    for (std::size_t i = 0; i < v->size() && !failed(); ++i) each((*v)[i], p + "/" + std::to_string(i));
  }

  bool object(const json& v, const std::string& path) {
    if (!v.is_object()) fail(path, "expected an object, found " + shown(v));
    return v.is_object();
  }

 private:
  static std::string range(long double lo, long double hi) {
    auto s = [](long double x) {
      return x >= static_cast<long double>(std::numeric_limits<std::int64_t>::max())
                 ? std::string("2^64-1")
                 : std::to_string(static_cast<long long>(x));
    };
    return s(lo) + ".." + s(hi);
  }
};

constexpr long double kU32 = 4294967295.0L;
constexpr long double kU64 = 18446744073709551615.0L;
constexpr std::size_t kName = Name::kCapacity;

void check_state(Checker& c, const json& e, const std::string& path, const char* key) {
  const json* v = c.field(e, path, key, false);
  if (!v) return;
  const std::string p = path + "/" + key;
  if (!c.object(*v, p)) return;
  // -1, 0, +1, and FASTREUSEPORT_STRICT (2) where the kernel has it
  c.integer(*v, p, "fastreuse", -1, 2, true);
  c.integer(*v, p, "fastreuseport", -1, 2, true);
}

void check_event(Checker& c, const json& e, const std::string& p) {
  if (!c.object(e, p)) return;
  c.one_of(e, p, "kind", names<EventKind>(), true);
  c.string(e, p, "function", true, kName);
  c.integer(e, p, "port", 0, 65535, true);
  c.integer(e, p, "ts_ns", 0, kU64);
  c.integer(e, p, "pid", 0, kU32);
  c.integer(e, p, "tid", 0, kU32);
  c.string(e, p, "comm", false, kName);
  c.integer(e, p, "netns", 0, kU64);
  c.integer(e, p, "l3mdev", std::numeric_limits<int>::min(), std::numeric_limits<int>::max());
  c.id(e, p, "bucket");
  c.one_of(e, p, "path", names<OpPath>());
  check_state(c, e, p, "before");
  check_state(c, e, p, "after");
  c.integer(e, p, "requested_port", 0, 65535);
  c.integer(e, p, "result", std::numeric_limits<int>::min(), std::numeric_limits<int>::max());
  c.string(e, p, "addr", false, kName);
}

void check_step(Checker& c, const json& s, const std::string& p) {
  if (!c.object(s, p)) return;
  c.integer(s, p, "index", 0, 1000000, true);
  c.integer(s, p, "line", 0, std::numeric_limits<int>::max());
  c.string(s, p, "source", true);
  c.boolean(s, p, "matched", true);
  c.array(s, p, "calls", false, [&](const json& call, const std::string& cp) {
    if (!c.object(call, cp)) return;
    c.string(call, cp, "call", true);
    c.boolean(call, cp, "ok", true);
    c.string(call, cp, "value");
    c.integer(call, cp, "errno", 0, 4095);
    c.string(call, cp, "errno_name");
  });
  for (const char* k : {"expected", "actual", "wall_time", "explanation", "note"}) c.string(s, p, k);
  c.integer(s, p, "tid", 0, kU32);
  c.integer(s, p, "t_start_ns", 0, kU64);
  c.integer(s, p, "t_end_ns", 0, kU64);
  c.array(s, p, "events", false, [&](const json& e, const std::string& ep) { check_event(c, e, ep); });
  if (const json* st = c.field(s, p, "state", false); st && c.object(*st, p + "/state"))
    c.array(*st, p + "/state", "sockets", false, [&](const json& k, const std::string& kp) {
      if (!c.object(k, kp)) return;
      c.integer(k, kp, "port", 0, 65535, true);
      c.id(k, kp, "bucket");
    });
  c.array(s, p, "state_checks", false, [&](const json& a, const std::string& ap) {
    if (!c.object(a, ap)) return;
    c.one_of(a, ap, "outcome", names<CheckOutcome>(), true);
    c.string(a, ap, "sock", true);
    c.integer(a, ap, "line", 0, std::numeric_limits<int>::max());
    c.integer(a, ap, "column", 0, std::numeric_limits<int>::max());
    for (const char* k : {"text", "actual", "why"}) c.string(a, ap, k);
  });
}

void check_quiz(Checker& c, const json& q, const std::string& p) {
  if (!c.object(q, p)) return;
  c.string(q, p, "name", true);
  c.one_of(q, p, "status", names<QuizStatus>(), true);
  for (const char* k : {"file", "title", "source", "lesson", "setup", "error"}) c.string(q, p, k);
  c.number(q, p, "duration_ms", 0);
  if (const json* sys = c.field(q, p, "sysctls", false); sys && c.object(*sys, p + "/sysctls"))
    for (const char* k : {"ip_local_port_range", "ip_local_reserved_ports", "ip_autobind_reuse"})
      c.string(*sys, p + "/sysctls", k);
  c.array(q, p, "steps", true, [&](const json& s, const std::string& sp) { check_step(c, s, sp); });
  c.array(q, p, "background", false, [&](const json& e, const std::string& ep) { check_event(c, e, ep); });
}

void check_trace(Checker& c, const json& t, const std::string& p) {
  if (!c.object(t, p)) return;
  c.one_of(t, p, "mode", names<TraceMode>(), true);
  c.string(t, p, "notice");
  for (const char* k : {"events", "lost", "missed"}) c.integer(t, p, k, 0, kU64);
  c.array(t, p, "probes", false, [&](const json& pr, const std::string& pp) {
    if (!c.object(pr, pp)) return;
    c.string(pr, pp, "function", true);
    c.one_of(pr, pp, "mechanism", names<ProbeMechanism>());
    c.boolean(pr, pp, "attached");
    c.string(pr, pp, "error");
  });
}

}  // namespace

std::optional<std::string> check_report(const json& doc) {
  Checker c;
  if (!c.object(doc, "")) return c.first;
  c.string(doc, "", "schema", true);
  c.one_of(doc, "", "where", {"host", "guest"});
  for (const char* k : {"tool_version", "created", "command"}) c.string(doc, "", k);
  if (const json* k = c.field(doc, "", "kernel", true); k && c.object(*k, "/kernel")) {
    c.string(*k, "/kernel", "release", true);
    c.one_of(*k, "/kernel", "origin", {"host", "series", "package", "path"});
    for (const char* f : {"version", "machine", "series", "package", "package_version"})
      c.string(*k, "/kernel", f);
  }
  if (const json* t = c.field(doc, "", "trace", false)) check_trace(c, *t, "/trace");
  // Quizzes are matched by name when reports are compared: a name twice would be merged.
  std::map<std::string, std::size_t> names;
  c.array(doc, "", "quizzes", true, [&](const json& q, const std::string& qp) {
    check_quiz(c, q, qp);
    if (c.failed()) return;
    const auto& name = q.at("name").get_ref<const std::string&>();
    const std::size_t index = std::stoul(qp.substr(qp.rfind('/') + 1));
    if (auto [it, fresh] = names.emplace(name, index); !fresh)
      c.fail(qp + "/name", "quiz \"" + name + "\" appears twice (also /quizzes/" +
                               std::to_string(it->second) + "); a report holds each quiz once");
  });
  return c.first;
}

}  // namespace tristate::report
