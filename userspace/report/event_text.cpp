#include "report/event_text.hpp"

#include <sstream>

#include "report/state_text.hpp"
#include "util/errno_names.hpp"

namespace tristate::report {
namespace {

// Who the state says may share the port; the connect() test needs both fields at -1.
std::string state_meaning(const BucketState& s) {
  if (s.fastreuse == -1 && s.fastreuseport == -1) return "connect()-made, shareable by connect()";
  if (s.fastreuse < 0 || s.fastreuseport < 0)
    return "mixed: connect() cannot share it (needs both -1)";
  if (s.fastreuse > 0 || s.fastreuseport > 0) return "bind() with reuse";
  return "bind()-made, no fast reuse";
}

std::string result_text(int rc) {
  if (rc == 0) return "ok";
  if (rc < 0) return util::errno_label(-rc);
  return std::to_string(rc) + " (failure)";  // <= 6.0 inet_csk_get_port returns 1
}

std::string by_path(OpPath path) {
  return path == OpPath::none ? "" : " by " + std::string(name(path)) + "()";
}

}  // namespace

std::string event_line(const Event& e) {
  std::string s(name(e.kind));
  if (e.port) s += " :" + std::to_string(e.port);
  if (!e.addr.empty()) s += " " + e.addr;
  if (e.before || e.after) {
    s += " ";
    s += e.before ? pair_text(*e.before) : "·";
    s += "→";
    s += e.after ? pair_text(*e.after) : (e.kind == EventKind::bucket_destroy ? "absent" : "·");
  }
  if (e.requested_port) s += " asked " + std::to_string(*e.requested_port);
  if (e.result && *e.result != 0) s += " = " + std::to_string(*e.result);
  if (!e.function.empty()) s += " " + e.function;
  if (e.path != OpPath::none) s += " [" + std::string(name(e.path)) + "]";
  return s;
}

std::string event_story(const Event& e) {
  const std::string port = std::to_string(e.port);
  std::ostringstream o;
  switch (e.kind) {
    case EventKind::bucket_create:
      o << "bhash " << port << " created" << by_path(e.path);
      if (e.after) o << " -> " << pair_text(*e.after) << " (" << state_meaning(*e.after) << ")";
      break;
    case EventKind::bucket_state:
      o << "bhash " << port << " ";
      if (e.before && e.after && *e.before == *e.after)
        o << "stays " << pair_text(*e.after);
      else
        o << (e.before ? pair_text(*e.before) : "?") << " -> " << (e.after ? pair_text(*e.after) : "?");
      if (e.after) o << " (" << state_meaning(*e.after) << ")";
      break;
    case EventKind::bucket_destroy:
      o << "bhash " << port << " destroyed (no owner left)";
      break;
    case EventKind::bind_alloc:
      o << "bind-time port allocation (asked " << (e.requested_port ? *e.requested_port : 0) << ")";
      if (e.result) o << " -> " << (*e.result == 0 ? "port " + port : result_text(*e.result));
      if (e.after) o << ", bucket " << pair_text(*e.after);
      break;
    case EventKind::connect_alloc:
      o << "connect-time port allocation";
      if (e.result) o << " -> " << (*e.result == 0 ? "port " + port : result_text(*e.result));
      if (e.after && e.result && *e.result == 0) o << ", bucket " << pair_text(*e.after);
      break;
    case EventKind::connect_skip:
      o << "port " << port << " skipped by connect(): bucket " << (e.before ? pair_text(*e.before) : "?")
        << " is not -1/-1";
      break;
    case EventKind::bucket2_create:
      o << "bhash2 " << (e.addr.empty() ? "*" : e.addr) << ":" << port << " created" << by_path(e.path);
      if (e.after) o << " -> " << pair_text(*e.after);
      break;
    case EventKind::bucket2_destroy:
      o << "bhash2 " << (e.addr.empty() ? "*" : e.addr) << ":" << port << " destroyed";
      break;
  }
  o << "  [" << e.function << "]";
  return o.str();
}

}  // namespace tristate::report
