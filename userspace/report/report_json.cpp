#include "report/report_json.hpp"

#include <stdexcept>

#include "report/json_id.hpp"
#include "report/json_text.hpp"
#include "report/report_check.hpp"

namespace tristate::report {

using nlohmann::json;

namespace {

// Optional fields are omitted when empty so that documents stay readable and a reader of an
// older minor version still finds every key it knows.
template <typename T>
void get_opt(const json& j, const char* key, T& out) {
  if (auto it = j.find(key); it != j.end() && !it->is_null()) it->get_to(out);
}

template <typename T>
void put_nonempty(json& j, const char* key, const T& v) {
  if (!v.empty()) j[key] = v;
}

// A 64-bit id field (string since tristate.report/2, unsigned integer before); check_report
// has already refused anything else.
void get_id(const json& j, const char* key, std::uint64_t& out) {
  if (auto it = j.find(key); it != j.end() && !it->is_null()) {
    const auto id = id_from_json(*it);
    if (!id) throw std::invalid_argument(std::string("\"") + key + "\" is not a 64-bit id: " + it->dump());
    out = *id;
  }
}

int schema_major(const std::string& schema) {
  auto slash = schema.rfind('/');
  if (slash == std::string::npos) return -1;
  try {
    return std::stoi(schema.substr(slash + 1));
  } catch (...) {
    return -1;
  }
}

}  // namespace

int Quiz::mismatches() const {
  int n = 0;
  for (const auto& s : steps) n += s.matched ? 0 : 1;
  return n;
}

int Quiz::state_mismatches() const {
  int n = 0;
  for (const auto& s : steps) n += s.state && !s.state->model_diff.empty() ? 1 : 0;
  return n;
}

int Report::state_mismatches() const {
  int n = 0;
  for (const auto& q : quizzes) n += q.state_mismatches();
  return n;
}

int Report::mismatches() const {
  int n = 0;
  for (const auto& q : quizzes) n += q.mismatches() + (q.status == QuizStatus::error ? 1 : 0);
  return n;
}

void to_json(json& j, const Name& v) { j = v.view(); }
void from_json(const json& j, Name& v) { v.assign(j.get<std::string>()); }

void to_json(json& j, const BucketState& v) {
  j = json{{"fastreuse", v.fastreuse}, {"fastreuseport", v.fastreuseport}};
}
void from_json(const json& j, BucketState& v) {
  j.at("fastreuse").get_to(v.fastreuse);
  j.at("fastreuseport").get_to(v.fastreuseport);
}

void to_json(json& j, const Event& v) {
  j = json{{"ts_ns", v.ts_ns},   {"pid", v.pid},   {"tid", v.tid},       {"comm", v.comm},
           {"netns", v.netns},   {"kind", v.kind}, {"function", v.function},
           {"port", v.port},     {"l3mdev", v.l3mdev}, {"bucket", id_to_json(v.bucket)}};
  if (v.path != OpPath::none) j["path"] = v.path;
  if (v.before) j["before"] = *v.before;
  if (v.after) j["after"] = *v.after;
  if (v.requested_port) j["requested_port"] = *v.requested_port;
  if (v.result) j["result"] = *v.result;
  put_nonempty(j, "addr", v.addr);
}
void from_json(const json& j, Event& v) {
  j.at("kind").get_to(v.kind);
  j.at("function").get_to(v.function);
  j.at("port").get_to(v.port);
  get_opt(j, "ts_ns", v.ts_ns);
  get_opt(j, "pid", v.pid);
  get_opt(j, "tid", v.tid);
  get_opt(j, "comm", v.comm);
  get_opt(j, "netns", v.netns);
  get_opt(j, "l3mdev", v.l3mdev);
  get_id(j, "bucket", v.bucket);
  get_opt(j, "path", v.path);
  if (j.contains("before")) v.before = j.at("before").get<BucketState>();
  if (j.contains("after")) v.after = j.at("after").get<BucketState>();
  if (j.contains("requested_port")) v.requested_port = j.at("requested_port").get<int>();
  if (j.contains("result")) v.result = j.at("result").get<int>();
  get_opt(j, "addr", v.addr);
}

void to_json(json& j, const CallResult& v) {
  j = json{{"call", v.call}, {"ok", v.ok}, {"value", v.value}};
  if (!v.ok) {
    j["errno"] = v.err;
    j["errno_name"] = v.err_name;
  }
}
void from_json(const json& j, CallResult& v) {
  j.at("call").get_to(v.call);
  j.at("ok").get_to(v.ok);
  get_opt(j, "value", v.value);
  get_opt(j, "errno", v.err);
  get_opt(j, "errno_name", v.err_name);
}

void to_json(json& j, const SockState& v) {
  j = json{{"name", v.name}, {"fd", v.fd}, {"tcp_state", v.tcp_state}, {"local", v.local},
           {"port", v.port}, {"bucket", id_to_json(v.bucket)}, {"state", v.state}, {"bhash2", v.bhash2}};
  if (v.state2) j["state2"] = *v.state2;
}
void from_json(const json& j, SockState& v) {
  j.at("port").get_to(v.port);
  j.at("state").get_to(v.state);
  get_opt(j, "name", v.name);
  get_opt(j, "fd", v.fd);
  get_opt(j, "tcp_state", v.tcp_state);
  get_opt(j, "local", v.local);
  get_id(j, "bucket", v.bucket);
  get_opt(j, "bhash2", v.bhash2);
  if (j.contains("state2")) v.state2 = j.at("state2").get<BucketState>();
}

void to_json(json& j, const StepState& v) {
  j = json{{"taken", v.taken}, {"t_ns", v.t_ns}, {"sockets", v.sockets}};
  put_nonempty(j, "error", v.error);
  put_nonempty(j, "gone", v.gone);
  put_nonempty(j, "model_diff", v.model_diff);
}
void from_json(const json& j, StepState& v) {
  j.at("taken").get_to(v.taken);
  get_opt(j, "t_ns", v.t_ns);
  get_opt(j, "sockets", v.sockets);
  get_opt(j, "error", v.error);
  get_opt(j, "gone", v.gone);
  get_opt(j, "model_diff", v.model_diff);
}

void to_json(json& j, const StateCheck& v) {
  j = json{{"outcome", v.outcome}, {"sock", v.sock}, {"line", v.line}, {"column", v.column}, {"text", v.text}};
  put_nonempty(j, "actual", v.actual);
  put_nonempty(j, "why", v.why);
}
void from_json(const json& j, StateCheck& v) {
  j.at("outcome").get_to(v.outcome);
  j.at("sock").get_to(v.sock);
  get_opt(j, "line", v.line);
  get_opt(j, "column", v.column);
  get_opt(j, "text", v.text);
  get_opt(j, "actual", v.actual);
  get_opt(j, "why", v.why);
}

void to_json(json& j, const StateInfo& v) {
  j = json{{"method", v.method}};
  put_nonempty(j, "notice", v.notice);
}
void from_json(const json& j, StateInfo& v) {
  j.at("method").get_to(v.method);
  get_opt(j, "notice", v.notice);
}

void to_json(json& j, const Step& v) {
  j = json{{"index", v.index},       {"line", v.line},
           {"source", v.source},     {"calls", v.calls},
           {"expected", v.expected}, {"actual", v.actual},
           {"matched", v.matched},   {"tid", v.tid},
           {"t_start_ns", v.t_start_ns}, {"t_end_ns", v.t_end_ns},
           {"wall_time", v.wall_time},   {"events", v.events}};
  put_nonempty(j, "explanation", v.explanation);
  put_nonempty(j, "note", v.note);
  if (v.state) j["state"] = *v.state;
  put_nonempty(j, "state_checks", v.state_checks);
}
void from_json(const json& j, Step& v) {
  j.at("index").get_to(v.index);
  j.at("source").get_to(v.source);
  j.at("matched").get_to(v.matched);
  get_opt(j, "line", v.line);
  get_opt(j, "calls", v.calls);
  get_opt(j, "expected", v.expected);
  get_opt(j, "actual", v.actual);
  get_opt(j, "tid", v.tid);
  get_opt(j, "t_start_ns", v.t_start_ns);
  get_opt(j, "t_end_ns", v.t_end_ns);
  get_opt(j, "wall_time", v.wall_time);
  get_opt(j, "events", v.events);
  get_opt(j, "explanation", v.explanation);
  get_opt(j, "note", v.note);
  if (j.contains("state")) v.state = j.at("state").get<StepState>();
  get_opt(j, "state_checks", v.state_checks);
}

void to_json(json& j, const Sysctls& v) {
  j = json{{"ip_local_port_range", v.ip_local_port_range},
           {"ip_local_reserved_ports", v.ip_local_reserved_ports},
           {"ip_autobind_reuse", v.ip_autobind_reuse}};
}
void from_json(const json& j, Sysctls& v) {
  get_opt(j, "ip_local_port_range", v.ip_local_port_range);
  get_opt(j, "ip_local_reserved_ports", v.ip_local_reserved_ports);
  get_opt(j, "ip_autobind_reuse", v.ip_autobind_reuse);
}

void to_json(json& j, const Quiz& v) {
  j = json{{"name", v.name},     {"file", v.file},     {"title", v.title},
           {"source", v.source}, {"lesson", v.lesson}, {"setup", v.setup},
           {"sysctls", v.sysctls}, {"status", v.status}, {"duration_ms", v.duration_ms},
           {"steps", v.steps},   {"background", v.background}};
  put_nonempty(j, "error", v.error);
}
void from_json(const json& j, Quiz& v) {
  j.at("name").get_to(v.name);
  j.at("status").get_to(v.status);
  j.at("steps").get_to(v.steps);
  get_opt(j, "file", v.file);
  get_opt(j, "title", v.title);
  get_opt(j, "source", v.source);
  get_opt(j, "lesson", v.lesson);
  get_opt(j, "setup", v.setup);
  get_opt(j, "sysctls", v.sysctls);
  get_opt(j, "duration_ms", v.duration_ms);
  get_opt(j, "background", v.background);
  get_opt(j, "error", v.error);
}

void to_json(json& j, const KernelInfo& v) {
  j = json{{"release", v.release}, {"version", v.version}, {"machine", v.machine},
           {"origin", v.origin}};
  put_nonempty(j, "series", v.series);
  put_nonempty(j, "package", v.package);
  put_nonempty(j, "package_version", v.package_version);
}
void from_json(const json& j, KernelInfo& v) {
  j.at("release").get_to(v.release);
  get_opt(j, "version", v.version);
  get_opt(j, "machine", v.machine);
  get_opt(j, "origin", v.origin);
  get_opt(j, "series", v.series);
  get_opt(j, "package", v.package);
  get_opt(j, "package_version", v.package_version);
}

void to_json(json& j, const Probe& v) {
  j = json{{"function", v.function}, {"mechanism", v.mechanism}, {"attached", v.attached}};
  put_nonempty(j, "error", v.error);
}
void from_json(const json& j, Probe& v) {
  j.at("function").get_to(v.function);
  get_opt(j, "mechanism", v.mechanism);
  get_opt(j, "attached", v.attached);
  get_opt(j, "error", v.error);
}

void to_json(json& j, const TraceInfo& v) {
  j = json{{"mode", v.mode},     {"probes", v.probes}, {"events", v.events},
           {"lost", v.lost},     {"missed", v.missed}};
  put_nonempty(j, "notice", v.notice);
}
void from_json(const json& j, TraceInfo& v) {
  j.at("mode").get_to(v.mode);
  get_opt(j, "notice", v.notice);
  get_opt(j, "probes", v.probes);
  get_opt(j, "events", v.events);
  get_opt(j, "lost", v.lost);
  get_opt(j, "missed", v.missed);
}

void to_json(json& j, const Report& v) {
  j = json{{"schema", v.schema},   {"tool_version", v.tool_version},
           {"created", v.created}, {"command", v.command},
           {"where", v.where},     {"kernel", v.kernel},
           {"trace", v.trace},     {"state", v.state},
           {"quizzes", v.quizzes}};
}
void from_json(const json& j, Report& v) {
  j.at("schema").get_to(v.schema);
  j.at("kernel").get_to(v.kernel);
  j.at("quizzes").get_to(v.quizzes);
  get_opt(j, "tool_version", v.tool_version);
  get_opt(j, "created", v.created);
  get_opt(j, "command", v.command);
  get_opt(j, "where", v.where);
  get_opt(j, "trace", v.trace);
  get_opt(j, "state", v.state);
}

Report parse_report(const std::string& text, const std::string& what) {
  auto parsed = parse_json_text(text, what);
  if (!parsed) throw std::runtime_error(parsed.error().message);
  json j = std::move(parsed.value());
  if (!j.is_object() || !j.contains("schema") || !j["schema"].is_string())
    throw std::runtime_error(what + ": not a tristate report (no \"schema\" string)");
  const auto schema = j["schema"].get<std::string>();
  // Major 1 differs from 2 only in writing ids as integers, which the readers take too.
  const int major = schema_major(schema);
  if (schema.rfind("tristate.report/", 0) != 0 || major < 1 || major > schema_major(kSchema))
    throw std::runtime_error(what + ": schema " + schema + ", this tristate reads " + kReadableSchemas);
  if (auto problem = check_report(j)) throw std::runtime_error(what + ": " + *problem);
  try {
    return j.get<Report>();
  } catch (const json::exception& e) {  // check_report should have caught it first
    throw std::runtime_error(what + ": malformed report: " + e.what());
  } catch (const std::length_error& e) {
    throw std::runtime_error(what + ": malformed report: " + e.what());
  }
}

}  // namespace tristate::report
