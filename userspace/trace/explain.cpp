#include "trace/explain.hpp"

#include <cerrno>
#include <sstream>

#include "trace/bucket_model.hpp"

namespace tristate::trace {
namespace {

enum class Op { Bind, Listen, Connect, Other };

Op op_of(const std::string& call) {
  if (call.find(".connect(") != std::string::npos || call.find(".connect_ex(") != std::string::npos) return Op::Connect;
  if (call.find(".bind(") != std::string::npos) return Op::Bind;
  if (call.find(".listen(") != std::string::npos) return Op::Listen;
  return Op::Other;
}

std::string state_text(const report::BucketState& s) {
  return "fastreuse " + std::to_string(s.fastreuse) + ", fastreuseport " + std::to_string(s.fastreuseport);
}

bool shared_by_connect(const report::BucketState& s) { return s.fastreuse < 0 && s.fastreuseport < 0; }

std::string step_ref(const report::Quiz& quiz, int step) {
  if (step < 0 || step >= static_cast<int>(quiz.steps.size())) return "";
  const auto& st = quiz.steps[static_cast<size_t>(step)];
  return "step " + std::to_string(st.index) + " (" + st.source + ")";
}

std::string origin(const report::Quiz& quiz, const Bucket& b) {
  std::string who = b.created_by == report::OpPath::none ? "the kernel" : std::string(report::name(b.created_by)) + "()";
  std::string where = b.created_step >= 0 ? " in " + step_ref(quiz, b.created_step) : " during the setup";
  std::string s = b.seen_create ? "created by " + who + where : "already there before the trace";
  if (!b.last_writer.empty()) {
    s += ", last changed by " + b.last_writer;
    if (b.last_step >= 0) s += " in " + step_ref(quiz, b.last_step);
  }
  return s;
}

// "60000 60000" or "60000\t60000"
bool parse_range(const std::string& text, int& lo, int& hi) {
  std::istringstream in(text);
  return static_cast<bool>(in >> lo >> hi) && lo > 0 && hi >= lo;
}

BucketModel model_before(const report::Quiz& quiz, std::size_t index) {
  BucketModel m;
  const auto& step = quiz.steps[index];
  for (const auto& te : quiz_events(quiz)) {
    if (te.step == static_cast<int>(index)) break;
    if (te.step < 0 && step.t_start_ns && te.event->ts_ns >= step.t_start_ns) break;
    if (te.step > static_cast<int>(index)) break;
    m.apply(*te.event, te.step);
  }
  return m;
}

const report::Event* find_event(const report::Step& step, report::EventKind kind) {
  const report::Event* found = nullptr;
  for (const auto& ev : step.events)
    if (ev.kind == kind) found = &ev;  // the last one: the call that failed
  return found;
}

std::string explain_connect(const report::Quiz& quiz, std::size_t index, const report::CallResult& call) {
  const auto& step = quiz.steps[index];
  const report::Event* alloc = find_event(step, report::EventKind::connect_alloc);
  std::ostringstream out;
  if (alloc && alloc->requested_port && *alloc->requested_port != 0) {
    // bind() already chose the port: connect() only needs a free 4-tuple
    out << "connect() reused the port bind() had chosen (" << *alloc->requested_port
        << "); __inet_hash_connect returned " << alloc->result.value_or(0)
        << ": the 4-tuple through that port is already in use.";
    return out.str();
  }
  int lo = 0, hi = 0;
  if (!parse_range(quiz.sysctls.ip_local_port_range, lo, hi)) {
    if (!alloc) return "";
    out << "__inet_hash_connect returned " << alloc->result.value_or(0)
        << " and the ephemeral port range was not recorded.";
    return out.str();
  }
  BucketModel before = model_before(quiz, index);
  out << "connect() needs a local port whose bucket is shared by connect() (fastreuse -1 and "
         "fastreuseport -1), or one with no bucket yet; ip_local_port_range is "
      << lo << "-" << hi << ".";
  int blocked = 0, shared = 0, listed = 0;
  const int span = hi - lo + 1;
  for (int port = lo; port <= hi; ++port) {
    for (const Bucket* b : before.at_port(static_cast<std::uint16_t>(port))) {
      bool is_shared = shared_by_connect(b->state);
      (is_shared ? shared : blocked) += 1;
      if (listed++ < 4) {
        out << " Port " << port << "'s bucket was " << origin(quiz, *b) << " (" << state_text(b->state) << ")";
        if (is_shared)
          out << ": shareable, but every 4-tuple through it to this destination is taken.";
        else if (b->state.fastreuse >= 0 && b->state.fastreuseport < 0)
          out << ": fastreuseport alone is not enough, __inet_hash_connect skipped it.";
        else
          out << ": __inet_hash_connect skipped it.";
      }
    }
  }
  if (listed > 4) out << " (" << listed - 4 << " more buckets in the range.)";
  int free_ports = span - blocked - shared;
  if (free_ports <= 0 || blocked + shared >= span) {
    out << " No other port is in the range";
  } else {
    out << " " << free_ports << " port(s) of the range had no traced bucket (reserved in "
        << "ip_local_reserved_ports, or created before tracing began)";
  }
  out << " -> " << (call.err_name.empty() ? "error " + std::to_string(call.err) : call.err_name) << ".";
  if (alloc && alloc->result) out << " (__inet_hash_connect returned " << *alloc->result << ".)";
  return out.str();
}

std::string explain_bind(const report::Quiz& quiz, std::size_t index, const report::CallResult& call, bool listen) {
  const auto& step = quiz.steps[index];
  const report::Event* alloc = find_event(step, report::EventKind::bind_alloc);
  if (!alloc) return "";
  std::ostringstream out;
  int req = alloc->requested_port.value_or(0);
  int res = alloc->result.value_or(0);
  std::string fn = "inet_csk_get_port";
  std::string verb = listen ? "listen()" : "bind()";
  if (res == 1) out << fn << " returned 1 (kernels up to 6.0 say EADDRINUSE that way). ";
  else if (res != 0) out << fn << " returned " << res << ". ";
  BucketModel before = model_before(quiz, index);
  if (req != 0) {
    auto buckets = before.at_port(static_cast<std::uint16_t>(req));
    if (buckets.empty()) {
      out << verb << " asked for port " << req << ", which had no traced bucket before this step";
    } else {
      const Bucket& b = *buckets.front();
      out << verb << " asked for port " << req << ", whose bucket was " << origin(quiz, b) << " ("
          << state_text(b.state) << "). ";
      if (b.state.fastreuse > 0)
        out << "A bucket in state +1 lets a second socket in without the conflict check only if it "
               "also set SO_REUSEADDR and nobody listens on it";
      else if (b.state.fastreuse < 0)
        out << "A connect()-made bucket (-1) admits a bind() only when the 4-tuple sockets on it do "
               "not conflict (SO_REUSEADDR on both, or ip_autobind_reuse)";
      else
        out << "A bind()-made bucket without SO_REUSEADDR (0) takes the full conflict check against "
               "every owner";
      out << "; the check found a conflicting owner";
    }
  } else {
    int lo = 0, hi = 0;
    out << verb << " asked for any port";
    if (parse_range(quiz.sysctls.ip_local_port_range, lo, hi))
      out << " in ip_local_port_range " << lo << "-" << hi;
    out << "; every candidate already had a bucket this socket could not join";
  }
  out << " -> " << (call.err_name.empty() ? "error " + std::to_string(call.err) : call.err_name) << ".";
  return out.str();
}

// A step that ran but printed something else than expected: say which ports and buckets its
// calls ended up with.
std::string explain_mismatch(const report::Quiz& quiz, std::size_t index) {
  const auto& step = quiz.steps[index];
  std::ostringstream out;
  bool any = false;
  BucketModel m = model_before(quiz, index);
  for (const auto& ev : step.events) {
    m.apply(ev, static_cast<int>(index));
    if (report::is_alloc(ev.kind) && ev.after) {
      out << (any ? " " : "") << (ev.kind == report::EventKind::bind_alloc ? "bind()" : "connect()") << " got port "
          << ev.port << ", bucket in state " << ev.after->fastreuse << "/" << ev.after->fastreuseport
          << " (fastreuse/fastreuseport).";
      any = true;
    }
  }
  return any ? out.str() : "";
}

}  // namespace

std::string explain_step(const report::Quiz& quiz, std::size_t index) {
  if (index >= quiz.steps.size()) return "";
  const auto& step = quiz.steps[index];
  for (const auto& call : step.calls) {
    // errno 0 or below: a Python exception (TypeError, gaierror) raised before any syscall,
    // so the kernel's events have nothing to say about it.
    if (call.ok || call.err <= 0) continue;
    switch (op_of(call.call)) {
      case Op::Connect: return explain_connect(quiz, index, call);
      case Op::Bind: return explain_bind(quiz, index, call, false);
      case Op::Listen: return explain_bind(quiz, index, call, true);
      case Op::Other: break;
    }
  }
  if (!step.matched) return explain_mismatch(quiz, index);
  return "";
}

void explain_quiz(report::Quiz& quiz) {
  for (std::size_t i = 0; i < quiz.steps.size(); ++i) {
    const auto& step = quiz.steps[i];
    bool failed_call = false;
    for (const auto& c : step.calls) failed_call |= !c.ok && op_of(c.call) != Op::Other;
    if (!failed_call && step.matched) continue;
    std::string text = explain_step(quiz, i);
    if (!text.empty()) quiz.steps[i].explanation = std::move(text);
  }
}

}  // namespace tristate::trace
