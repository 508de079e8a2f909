// run_quiz: a forked child enters a private network namespace, reports its inode and pid,
// waits for the go byte (the tracer's readiness point), sets the namespace up, runs the
// statements and streams one JSON line per step back; the parent enforces the timeout and
// turns the lines into a report::Quiz. The namespace dies with the child.
#include "quiz/quiz_runner.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>

#include "quiz/netns.hpp"
#include "quiz/state_check.hpp"
#include "quiz/step_exec.hpp"
#include "util/unique_fd.hpp"
#include "util/child_process.hpp"
#include "util/errno_names.hpp"

namespace tristate::quiz {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// ---- the child -> parent line protocol (private: both ends live in this file) ----

json encode_step(const report::Step& s) {
  json calls = json::array();
  for (const auto& c : s.calls)
    calls.push_back({{"call", c.call}, {"ok", c.ok}, {"value", c.value}, {"err", c.err},
                     {"err_name", c.err_name}});
  return {{"index", s.index},       {"line", s.line},         {"source", s.source},
          {"calls", calls},         {"expected", s.expected}, {"actual", s.actual},
          {"matched", s.matched},   {"tid", s.tid},           {"t_start_ns", s.t_start_ns},
          {"t_end_ns", s.t_end_ns}, {"wall_time", s.wall_time}};
}

// A step's bucket state on the wire: its own line, "S" then fields split by '|' and records
// (the header, then one per socket) by '~', sent just before the step's JSON line. No socket
// name, TCP state or address holds these characters or a newline; the error, which might,
// comes last in the header and has them replaced. Measured with callgrind on post-3 (9 steps):
// as nlohmann objects 35 us a step (bench/state_bench), twice the snapshot; as a string inside
// the step's JSON, the parent still spent ~42,000 instructions a step (JSON string lexing
// 18,000, splitting into std::strings 15,000) and the child ~9,000 escaping it: the ~95 us a
// step a 6.12 guest could not account for (docs/design.md). Now read in place (string_view,
// from_chars).
constexpr char kField = '|', kRecord = '~', kStateLine = 'S';

void append_num(std::string& out, long long v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
  out += kField;
}

std::string encode_state(const report::StepState& st) {
  std::string out(1, kStateLine);
  out.reserve(64 + 96 * st.sockets.size());
  auto field = [&](const std::string& v) { (out += v) += kField; };
  append_num(out, st.taken);
  append_num(out, static_cast<long long>(st.t_ns));
  for (const auto& g : st.gone) (out += g) += ',';
  out += kField;
  const std::size_t error_at = out.size();
  out += st.error;
  std::replace_if(out.begin() + static_cast<std::ptrdiff_t>(error_at), out.end(),
                  [](char c) { return c == kRecord || c == '\n'; }, '-');
  for (const auto& so : st.sockets) {
    out += kRecord;
    field(so.name);
    append_num(out, so.fd);
    field(so.tcp_state);
    field(so.local);
    append_num(out, so.port);
    field(std::to_string(so.bucket));
    append_num(out, so.state.fastreuse);
    append_num(out, so.state.fastreuseport);
    append_num(out, so.bhash2);
    append_num(out, so.state2.has_value());
    append_num(out, so.state2 ? so.state2->fastreuse : 0);
    append_num(out, so.state2 ? so.state2->fastreuseport : 0);
  }
  out += '\n';
  return out;
}

// The next `sep`-terminated (or last) piece of `s`, consumed from it.
std::string_view next_piece(std::string_view& s, char sep) {
  const std::size_t at = s.find(sep);
  const std::string_view piece = s.substr(0, at);
  s.remove_prefix(at == std::string_view::npos ? s.size() : at + 1);
  return piece;
}

template <typename T>
T number(std::string_view text) {
  T v{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size())
    throw std::runtime_error("bad number in a step's state: '" + std::string(text) + "'");
  return v;
}

report::StepState decode_state(std::string_view text) {  // without the leading kStateLine
  report::StepState st;
  std::string_view head = next_piece(text, kRecord);
  st.taken = number<int>(next_piece(head, kField)) == 1;
  st.t_ns = number<std::uint64_t>(next_piece(head, kField));
  for (std::string_view gone = next_piece(head, kField); !gone.empty();)
    if (auto g = next_piece(gone, ','); !g.empty()) st.gone.emplace_back(g);
  st.error = head;  // the rest of the header
  while (!text.empty()) {
    std::string_view rec = next_piece(text, kRecord);
    report::SockState so;
    so.name = next_piece(rec, kField);
    so.fd = number<int>(next_piece(rec, kField));
    so.tcp_state = next_piece(rec, kField);
    so.local = next_piece(rec, kField);
    so.port = number<std::uint16_t>(next_piece(rec, kField));
    so.bucket = number<std::uint64_t>(next_piece(rec, kField));
    so.state.fastreuse = number<int>(next_piece(rec, kField));
    so.state.fastreuseport = number<int>(next_piece(rec, kField));
    so.bhash2 = number<int>(next_piece(rec, kField)) == 1;
    const bool has2 = number<int>(next_piece(rec, kField)) == 1;
    const int f2 = number<int>(next_piece(rec, kField)), fp2 = number<int>(next_piece(rec, kField));
    if (has2) so.state2 = report::BucketState{f2, fp2};
    if (!rec.empty()) throw std::runtime_error("bad state record: more fields than known");
    st.sockets.push_back(std::move(so));
  }
  return st;
}

report::Step decode_step(const json& j) {
  report::Step s;
  j.at("index").get_to(s.index);
  j.at("line").get_to(s.line);
  j.at("source").get_to(s.source);
  for (const auto& c : j.at("calls")) {
    report::CallResult r;
    c.at("call").get_to(r.call);
    c.at("ok").get_to(r.ok);
    c.at("value").get_to(r.value);
    c.at("err").get_to(r.err);
    c.at("err_name").get_to(r.err_name);
    s.calls.push_back(std::move(r));
  }
  j.at("expected").get_to(s.expected);
  j.at("actual").get_to(s.actual);
  j.at("matched").get_to(s.matched);
  j.at("tid").get_to(s.tid);
  j.at("t_start_ns").get_to(s.t_start_ns);
  j.at("t_end_ns").get_to(s.t_end_ns);
  j.at("wall_time").get_to(s.wall_time);
  return s;
}

// Writes whole lines (`before`: lines to send first, in the same write); a short write on a
// pipe only happens above PIPE_BUF, so loop.
void send_line(int fd, const json& msg, std::string before = {}) {
  std::string text = std::move(before);
  text += msg.dump(-1, ' ', false, json::error_handler_t::replace);
  text += '\n';
  std::size_t off = 0;
  while (off < text.size()) {
    ssize_t n = ::write(fd, text.data() + off, text.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) ::_exit(5);  // the parent is gone: nothing left to report to
    off += static_cast<std::size_t>(n);
  }
}

bool is_ipv6(const std::string& addr) { return addr.find(':') != std::string::npos; }

bool uses_ipv6(const Quiz& quiz) {
  for (const auto& l : quiz.setup.listeners)
    if (is_ipv6(l.addr)) return true;
  for (const auto& a : quiz.setup.lo_addresses)
    if (is_ipv6(a)) return true;
  // By spelling, not by the socket() calls' arguments: the family may reach socket() through
  // a name (`f = AF_INET6`), and waiting for ::1 once too often costs little.
  for (const auto& st : quiz.steps) {
    if (st.text.find("AF_INET6") != std::string::npos) return true;
    for (const auto& c : st.calls)
      if (c.op == Op::Socket && !c.args.empty() && c.args[0].kind == Arg::Kind::Int &&
          c.args[0].i == AF_INET6)
        return true;
  }
  return false;
}

// The setup's listeners, as the post's setup() makes them: bind + listen(SOMAXCONN), no
// SO_REUSEADDR. "" and "0.0.0.0" are the IPv4 wildcard; an IPv6 literal makes an AF_INET6
// socket with the kernel's default IPV6_V6ONLY, as Python would.
std::vector<util::UniqueFd> make_listeners(const Setup& setup) {
  std::vector<util::UniqueFd> out;
  for (const auto& l : setup.listeners) {
    const int family = is_ipv6(l.addr) ? AF_INET6 : AF_INET;
    util::UniqueFd fd(::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0));
    const std::string what = "listener " + l.addr + ":" + std::to_string(l.port);
    if (!fd) throw SandboxError(what + ": socket: " + util::errno_label(errno));
    sockaddr_storage ss{};
    socklen_t len = 0;
    if (family == AF_INET) {
      auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
      sin->sin_family = AF_INET;
      sin->sin_port = htons(static_cast<uint16_t>(l.port));
      if (!l.addr.empty() && inet_pton(AF_INET, l.addr.c_str(), &sin->sin_addr) != 1)
        throw SandboxError(what + ": not an IPv4 address");
      len = sizeof(sockaddr_in);
    } else {
      auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
      sin6->sin6_family = AF_INET6;
      sin6->sin6_port = htons(static_cast<uint16_t>(l.port));
      if (inet_pton(AF_INET6, l.addr.c_str(), &sin6->sin6_addr) != 1)
        throw SandboxError(what + ": not an IPv6 address");
      len = sizeof(sockaddr_in6);
    }
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0)
      throw SandboxError(what + ": bind: " + util::errno_label(errno) + " (" +
                         std::strerror(errno) + ")");
    if (::listen(fd.get(), SOMAXCONN) != 0)
      throw SandboxError(what + ": listen: " + util::errno_label(errno));
    out.push_back(std::move(fd));
  }
  return out;
}

// Started with die_with_parent: a killed runner must not leave a namespace behind.
[[noreturn]] void child_main(const Quiz& quiz, std::uint64_t host_inode, int out, int go, StepProbe* probe) {
  // A socket's repr shows its descriptor, and Python's twin holds only 0-2 when it makes its
  // listeners: move the pipes out of the way and close what else the runner had open (the
  // parent keeps its copies), so sockets get the numbers they get in Python.
  constexpr int kPipeFloor = 512;
  if (probe) probe->child_started(kPipeFloor);  // its BPF descriptors move up too
  out = ::fcntl(out, F_DUPFD_CLOEXEC, kPipeFloor);
  go = ::fcntl(go, F_DUPFD_CLOEXEC, kPipeFloor);
  if (out < 0 || go < 0) ::_exit(7);
  if (::close_range(3, kPipeFloor - 1, 0) != 0)
    for (int fd = 3; fd < kPipeFloor; ++fd) ::close(fd);
  try {
    PrivateNetns ns = PrivateNetns::enter(host_inode);
    send_line(out, {{"type", "ready"}, {"inode", ns.inode()}, {"pid", ::getpid()},
                    {"method", ns.method()}});
    char byte = 0;
    ssize_t n;
    do n = ::read(go, &byte, 1); while (n < 0 && errno == EINTR);
    if (n != 1) ::_exit(4);  // the parent gave up (observer refused): do nothing at all

    ns.set_lo_up();
    for (const auto& a : quiz.setup.lo_addresses) ns.add_lo_address(a);
    if (uses_ipv6(quiz)) {
      // IPv6 addresses become usable asynchronously (see wait_address_usable); IPv4 ones at
      // once, so IPv4-only quizzes do not pay for the probe.
      ns.wait_address_usable("::1");
      for (const auto& a : quiz.setup.lo_addresses)
        if (is_ipv6(a)) ns.wait_address_usable(a);
    }
    ns.write_sysctl("net.ipv4.ip_local_port_range",
                    std::to_string(quiz.setup.port_lo) + " " + std::to_string(quiz.setup.port_hi));
    for (const auto& [name, value] : quiz.setup.sysctls) ns.write_sysctl(name, value);
    std::vector<util::UniqueFd> listeners = make_listeners(quiz.setup);
    send_line(out, {{"type", "setup"},
                    {"ip_local_port_range", ns.read_sysctl("net.ipv4.ip_local_port_range")},
                    {"ip_local_reserved_ports", ns.read_sysctl("net.ipv4.ip_local_reserved_ports")},
                    {"ip_autobind_reuse", ns.read_sysctl("net.ipv4.ip_autobind_reuse")}});

    // The first listener is also `ln` to the statements (Cloudflare's quiz_common.py); the
    // snapshots name the others ln2, ln3, ... (and their children after them).
    SocketNames names;
    std::vector<std::string> listener_names;
    for (std::size_t i = 0; i < listeners.size(); ++i) {
      listener_names.push_back(i == 0 ? "ln" : "ln" + std::to_string(i + 1));
      names.listener_port.emplace(quiz.setup.listeners[i].port, listener_names.back());
    }
    StepExecutor exec(listeners.empty() ? util::UniqueFd() : std::move(listeners.front()));
    int index = 0;
    for (const auto& st : quiz.steps) {
      report::Step step = exec.run(st, ++index);
      if (probe) {
        names.by_fd = exec.fd_names();
        for (std::size_t i = 1; i < listeners.size(); ++i)  // the first is exec's `ln`
          names.by_fd[listeners[i].get()] = listener_names[i];
        step.state = probe->after_step(names);
      }
      send_line(out, {{"type", "step"}, {"step", encode_step(step)}},
                step.state ? encode_state(*step.state) : std::string());
    }
    send_line(out, {{"type", "done"}});
  } catch (const std::exception& e) {
    send_line(out, {{"type", "error"}, {"error", e.what()}});
    ::_exit(3);
  }
  ::_exit(0);
}

// ---- the parent ----

// Reads the child's lines with a deadline.
class LineReader {
 public:
  explicit LineReader(int fd) : fd_(fd) {}
  enum class Result { Line, Eof, Timeout };
  Result next(Clock::time_point deadline, std::string& line) {
    for (;;) {
      if (auto nl = buf_.find('\n'); nl != std::string::npos) {
        line = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        return Result::Line;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return Result::Timeout;
      pollfd p{fd_, POLLIN, 0};
      int rc = ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count() + 1, 1 << 30)));
      if (rc < 0 && errno == EINTR) continue;
      if (rc == 0) continue;  // re-check the deadline
      char chunk[8192];
      ssize_t n = ::read(fd_, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return Result::Eof;
      buf_.append(chunk, static_cast<std::size_t>(n));
    }
  }

 private:
  int fd_;
  std::string buf_;
};

std::string signal_name(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  return abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
}

std::string listener_text(const Listener& l) {
  const std::string addr = l.addr.empty() ? "0.0.0.0" : l.addr;
  return is_ipv6(addr) ? "[" + addr + "]:" + std::to_string(l.port)
                       : addr + ":" + std::to_string(l.port);
}

}  // namespace

std::string setup_summary(const Setup& s) {
  std::string out = "netns, lo up";
  for (const auto& a : s.lo_addresses) out += ", lo +" + a;
  out += ", ip_local_port_range " + std::to_string(s.port_lo) + " " + std::to_string(s.port_hi);
  for (const auto& [k, v] : s.sysctls) out += ", " + k + "=" + v;
  if (s.listeners.empty()) out += ", no listener";
  for (const auto& l : s.listeners) out += ", listener " + listener_text(l);
  return out;
}

namespace {

// The parent's side of one quiz: starts the sandbox, reads its lines until "done", an error or
// the deadline, and records in `rq` what came and how the child ended.
class Sandbox {
 public:
  Sandbox(const Quiz& quiz, const RunOptions& options, report::Quiz& rq, Clock::time_point started)
      : quiz_(quiz), options_(options), rq_(rq), deadline_(started + options.timeout) {}

  // The whole conversation; the child is reaped whichever way it ends.
  void run() {
    const std::uint64_t host_inode = netns_inode("self");
    int up[2], down[2];  // up: child -> parent lines; down: parent -> child go byte
    if (::pipe2(up, O_CLOEXEC) != 0) return fail("pipe2: " + util::errno_label(errno));
    util::UniqueFd up_r(up[0]), up_w(up[1]);
    if (::pipe2(down, O_CLOEXEC) != 0) return fail("pipe2: " + util::errno_label(errno));
    util::UniqueFd down_r(down[0]), down_w(down[1]);
    util::ChildOptions child_opts;
    child_opts.in = util::ChildStream::inherit();
    child_opts.die_with_parent = true;
    // the child never closes the parent's ends: _exit() drops everything at once
    auto started = util::ChildProcess::call(
        [&]() -> int { child_main(quiz_, host_inode, up_w.get(), down_r.get(), options_.step_probe); },
        child_opts);
    if (!started) return fail(started.error().message);
    util::ChildProcess& child = started.value();
    child_pid_ = child.pid();
    up_w.reset();
    down_r.reset();
    go_ = std::move(down_w);
    const bool timed_out = !converse(up_r.get());
    finish(child, timed_out);
  }

  pid_t child_pid() const { return child_pid_; }
  Clock::duration observer_time() const { return observer_time_; }

 private:
  void fail(std::string why) {
    rq_.status = report::QuizStatus::error;
    if (rq_.error.empty()) rq_.error = std::move(why);
  }
  bool failed() const { return rq_.status == report::QuizStatus::error; }

  std::string where() const {
    if (!got_setup_) return "during setup";
    if (steps_seen_ < quiz_.steps.size())
      return "at step " + std::to_string(steps_seen_ + 1) + " (" + quiz_.steps[steps_seen_].text + ")";
    return "after the last step";
  }

  // Reads lines until "done", an error or EOF; false when the deadline passed first.
  bool converse(int fd) {
    LineReader reader(fd);
    while (!done_ && !failed()) {
      std::string line;
      const auto r = reader.next(deadline_, line);
      if (r == LineReader::Result::Timeout) return false;
      if (r == LineReader::Result::Eof) break;
      try {
        take(line);
      } catch (const std::exception& e) {  // bad JSON, a missing field, a state that does not decode
        fail(std::string("sandbox sent a malformed line: ") + e.what());
      }
    }
    return true;
  }

  void take(const std::string& line) {
    if (!line.empty() && line.front() == kStateLine) {  // the next step's state
      pending_state_ = decode_state(std::string_view(line).substr(1));
      return;
    }
    const json msg = json::parse(line);
    const std::string type = msg.at("type");
    if (type == "ready") {
      release(msg.at("inode").get<std::uint64_t>(), msg.at("pid").get<pid_t>());
    } else if (type == "setup") {
      got_setup_ = true;
      rq_.sysctls.ip_local_port_range = msg.at("ip_local_port_range");
      rq_.sysctls.ip_local_reserved_ports = msg.at("ip_local_reserved_ports");
      rq_.sysctls.ip_autobind_reuse = msg.at("ip_autobind_reuse");
    } else if (type == "step") {
      add_step(msg.at("step"));
    } else if (type == "error") {
      fail(msg.at("error").get<std::string>());
    } else if (type == "done") {
      done_ = true;
    } else {
      fail("sandbox sent an unknown message: " + type);
    }
  }

  // The readiness point: the observer sees the namespace before the child may go on. Its
  // time is neither the quiz's duration nor taken from the quiz's timeout.
  void release(std::uint64_t inode, pid_t pid) {
    if (options_.observer) {
      const auto t0 = Clock::now();
      try {
        options_.observer->sandbox_ready(inode, pid);
      } catch (const std::exception& e) {
        fail(std::string("observer refused the sandbox: ") + e.what());
      }
      observer_time_ += Clock::now() - t0;
      deadline_ += Clock::now() - t0;
      if (failed()) return;
    }
    const char go = 'g';
    if (::write(go_.get(), &go, 1) != 1) fail("cannot signal the sandbox to start");
  }

  void add_step(const json& j) {
    rq_.steps.push_back(decode_step(j));
    rq_.steps.back().state = std::move(pending_state_);
    pending_state_.reset();
    // The statement's state assertions against the snapshot that came with it: a DIFF makes
    // the step a mismatch, no snapshot makes them "not checked", never passed.
    if (steps_seen_ < quiz_.steps.size())
      if (const auto& asserts = quiz_.steps[steps_seen_].state_asserts; !asserts.empty())
        record_state_checks(rq_.steps.back(), check_state(asserts, rq_.steps.back().state));
    ++steps_seen_;
  }

  // How the child ended, when that is the quiz's error.
  void finish(util::ChildProcess& child, bool timed_out) {
    if (timed_out) {
      child.kill_and_wait();
      fail("timed out after " + std::to_string(options_.timeout.count()) + " ms " + where());
      return;
    }
    // an error or a bad line: stop it before it does more
    const int status = done_ ? child.wait() : child.kill_and_wait();
    if (failed()) return;
    // exit_status() folds a signal into 128+N; the sandbox itself exits with small numbers
    if (status >= 128 && !done_)
      fail("sandbox killed by " + signal_name(status - 128) + " " + where());
    else if (status > 0 && status < 128)
      fail("sandbox exited with status " + std::to_string(status) + " " + where());
    else if (!done_)
      fail("sandbox ended without finishing " + where());
  }

  const Quiz& quiz_;
  const RunOptions& options_;
  report::Quiz& rq_;
  Clock::time_point deadline_;
  Clock::duration observer_time_{};  // the tracer's attach time is not the quiz's
  util::UniqueFd go_;
  pid_t child_pid_ = 0;
  bool got_setup_ = false, done_ = false;
  std::size_t steps_seen_ = 0;
  std::optional<report::StepState> pending_state_;
};

}  // namespace

report::Quiz run_quiz(const Quiz& quiz, const RunOptions& options) {
  report::Quiz rq;
  rq.name = quiz.name;
  rq.file = quiz.file;
  rq.title = quiz.title;
  rq.source = quiz.source;
  rq.lesson = quiz.lesson;
  rq.setup = setup_summary(quiz.setup);

  const auto started = Clock::now();
  Sandbox sandbox(quiz, options, rq, started);
  sandbox.run();
  if (sandbox.child_pid() > 0 && options.step_probe) options.step_probe->child_finished(sandbox.child_pid());

  if (rq.status != report::QuizStatus::error) {
    rq.status = report::QuizStatus::ok;
    for (const auto& s : rq.steps)
      if (!s.matched) rq.status = report::QuizStatus::mismatch;
  }
  rq.duration_ms =
      std::chrono::duration<double, std::milli>(Clock::now() - started - sandbox.observer_time()).count();
  if (options.observer) {
    try {
      options.observer->quiz_done(rq);
    } catch (const std::exception& e) {
      rq.status = report::QuizStatus::error;
      rq.error = std::string("observer failed after the quiz: ") + e.what();
    }
  }
  return rq;
}

}  // namespace tristate::quiz
