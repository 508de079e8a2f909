// Host safety: running quizzes (passing, mismatching, failing in setup, refused by the
// observer, killed mid-step by a timeout) leaves the host exactly as it was: its net sysctls,
// its listening sockets, its named network namespaces, and no process or namespace of ours.
#include <dirent.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "hand_quiz.hpp"
#include "host_env.hpp"
#include "quiz/netns.hpp"
#include "quiz/quiz_parser.hpp"
#include "quiz/quiz_runner.hpp"

namespace tristate::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<pid_t> all_pids() {
  std::vector<pid_t> out;
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string n = e.path().filename().string();
    if (!n.empty() && std::all_of(n.begin(), n.end(), ::isdigit)) out.push_back(std::stoi(n));
  }
  return out;
}

// Lines of /proc/net/tcp{,6} (this process's namespace: the host's) reduced to
// "file local_address state", filtered by `keep`.
template <class Keep>
std::set<std::string> tcp_sockets(Keep keep) {
  std::set<std::string> out;
  for (const char* f : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::istringstream in(read_all(f));
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream w(line);
      std::string sl, local, remote, state;
      w >> sl >> local >> remote >> state;
      const int port = std::stoi(local.substr(local.find(':') + 1), nullptr, 16);
      if (keep(state, port)) out.insert(std::string(f) + " " + local + " st=" + state);
    }
  }
  return out;
}

pid_t ppid_of(pid_t pid) {
  const std::string all = read_all("/proc/" + std::to_string(pid) + "/stat");
  // pid (comm) state ppid ...: comm may hold spaces and parentheses, so start at the last ')'.
  const auto rp = all.rfind(')');
  if (rp == std::string::npos) return 0;
  std::istringstream rest(all.substr(rp + 1));
  std::string state;
  pid_t ppid = 0;
  rest >> state >> ppid;
  return ppid;
}

struct HostSnapshot {
  std::map<std::string, std::string> sysctls;
  std::set<std::string> listeners;          // every LISTEN socket of the host namespace
  std::set<std::string> quiz_port_sockets;  // any host socket on a port the quizzes use
  std::set<std::string> named_netns;        // `ip netns list`
  std::set<pid_t> children;                 // our child processes

  static HostSnapshot take(const std::set<std::string>& sysctl_paths) {
    HostSnapshot s;
    for (const auto& p : sysctl_paths) s.sysctls[p] = read_all(p);
    s.listeners = tcp_sockets([](const std::string& st, int) { return st == "0A"; });
    s.quiz_port_sockets =
        tcp_sockets([](const std::string&, int port) { return port == 1234 || port == 5000; });
    std::error_code ec;
    for (const auto& e : fs::directory_iterator("/run/netns", ec))
      s.named_netns.insert(e.path().filename().string());
    for (pid_t pid : all_pids())
      if (ppid_of(pid) == ::getpid()) s.children.insert(pid);
    return s;
  }
};

template <class T>
std::string show(const T& set) {
  std::string out;
  for (const auto& x : set) {
    std::ostringstream o;
    o << x;
    out += "\n    " + o.str();
  }
  return out.empty() ? " (none)" : out;
}

void expect_same(const HostSnapshot& before, const HostSnapshot& after) {
  for (const auto& [path, value] : before.sysctls)
    EXPECT_EQ(after.sysctls.at(path), value) << "host sysctl changed: " << path;
  EXPECT_EQ(after.listeners, before.listeners)
      << "host listening sockets changed.\n  before:" << show(before.listeners)
      << "\n  after:" << show(after.listeners);
  EXPECT_EQ(after.quiz_port_sockets, before.quiz_port_sockets)
      << "host sockets on quiz ports changed.\n  before:" << show(before.quiz_port_sockets)
      << "\n  after:" << show(after.quiz_port_sockets);
  EXPECT_EQ(after.named_netns, before.named_netns) << "named network namespaces changed";
  EXPECT_TRUE(after.children.empty()) << "child processes left behind:" << show(after.children);
}

// Remembers every sandbox the runner made, to look for leftovers afterwards.
class SandboxRecorder : public quiz::Observer {
 public:
  void sandbox_ready(std::uint64_t inode, pid_t pid) override {
    std::lock_guard lock(mu);
    inodes.insert(inode);
    pids.insert(pid);
    ++sandboxes;
    last_pid = pid;
    ready = true;
    if (refuse) throw std::runtime_error("refused on purpose");
  }
  void quiz_done(report::Quiz&) override {}
  std::mutex mu;
  std::set<std::uint64_t> inodes;  // freed inodes are reused: several quizzes may share one
  std::set<pid_t> pids;
  int sandboxes = 0;
  pid_t last_pid = 0;
  std::atomic<bool> ready{false};
  bool refuse = false;
};

std::set<std::string> sysctls_to_watch(const std::vector<quiz::Quiz>& quizzes) {
  std::set<std::string> out = {"/proc/sys/net/ipv4/ip_local_port_range",
                               "/proc/sys/net/ipv4/ip_local_reserved_ports",
                               "/proc/sys/net/ipv4/ip_autobind_reuse"};
  for (const auto& q : quizzes)
    for (const auto& [name, value] : q.setup.sysctls) {
      std::string p = "/proc/sys/" + name;
      std::replace(p.begin() + 10, p.end(), '.', '/');
      out.insert(p);
    }
  return out;
}

quiz::Quiz blocking_quiz() {
  quiz::Quiz q;
  q.name = "blocks";
  q.setup.port_hi = 60010;
  q.setup.sysctls = {{"net.ipv4.ip_autobind_reuse", "1"}};
  q.steps = {
      stmt({socket_call("l")}),
      stmt({bind_call("l", "127.0.0.1", 5000)}),
      stmt({listen_call("l", 0)}),
      stmt({socket_call("a")}),
      stmt({connect_call("a", "127.0.0.1", 5000)}),
      stmt({socket_call("b")}),
      stmt({connect_call("b", "127.0.0.1", 5000)}),  // accept queue full: blocks in SYN retries
  };
  return q;
}

class HostSafety : public HostTest {};

TEST_F(HostSafety, TestRunsInTheHostNamespace) {
  // Otherwise the snapshots below would look at some other namespace and prove nothing.
  // init_net's inode is fixed (PROC_NET_INIT_INO in include/linux/proc_ns.h); /proc/1/ns/net
  // may not be readable (pid 1 is not ptrace-able here), so compare with the constant.
  constexpr std::uint64_t kInitNetInode = 0xEFFFFFF9u;
  ASSERT_EQ(quiz::netns_inode("self"), kInitNetInode);
}

TEST_F(HostSafety, NothingChangesOnTheHostWhateverTheQuizzesDo) {
  std::vector<quiz::Quiz> shipped;
  for (const auto& p : quiz::resolve_quiz_paths({}, std::string(TRISTATE_SOURCE_DIR) + "/quizzes"))
    shipped.push_back(quiz::load_quiz(p));
  ASSERT_FALSE(shipped.empty());
  auto mismatching = post3();
  mismatching.steps[5].expect = nothing();
  auto bad_setup = post1();
  bad_setup.setup.listeners.push_back(quiz::Listener{"0.0.0.0", 1234});
  std::vector<quiz::Quiz> all = shipped;
  all.push_back(blocking_quiz());
  all.push_back(mismatching);
  all.push_back(bad_setup);

  const auto watched = sysctls_to_watch(all);
  const HostSnapshot before = HostSnapshot::take(watched);
  ASSERT_NE(before.sysctls.at("/proc/sys/net/ipv4/ip_local_port_range"), "60000\t60000\n")
      << "the host's range already looks like a quiz's: the check below could not tell";

  SandboxRecorder rec;
  quiz::RunOptions opts;
  opts.observer = &rec;
  for (const auto& q : shipped) EXPECT_NE(quiz::run_quiz(q, opts).status, tristate::report::QuizStatus::error) << q.name;
  EXPECT_EQ(quiz::run_quiz(mismatching, opts).status, tristate::report::QuizStatus::mismatch);
  EXPECT_EQ(quiz::run_quiz(bad_setup, opts).status, tristate::report::QuizStatus::error);
  opts.timeout = 1ms;
  EXPECT_EQ(quiz::run_quiz(post1(), opts).status, tristate::report::QuizStatus::error);
  opts.timeout = 10s;
  rec.refuse = true;
  EXPECT_EQ(quiz::run_quiz(post1(), opts).status, tristate::report::QuizStatus::error);
  rec.refuse = false;

  // Killed mid-step: while the child hangs in connect(), its namespace has the quiz's
  // listener and range, and the host still has neither.
  rec.ready = false;
  opts.timeout = 1500ms;
  report::Quiz killed;
  std::thread t([&] { killed = quiz::run_quiz(blocking_quiz(), opts); });
  while (!rec.ready) std::this_thread::sleep_for(1ms);
  pid_t child;
  {
    std::lock_guard lock(rec.mu);
    child = rec.last_pid;
  }
  std::this_thread::sleep_for(300ms);  // setup done, step 7 blocking
  const std::string child_tcp = read_all("/proc/" + std::to_string(child) + "/net/tcp");
  EXPECT_NE(child_tcp.find(":1388 00000000:0000 0A"), std::string::npos)
      << "the child's own namespace should show its listener on 127.0.0.1:5000:\n" << child_tcp;
  const HostSnapshot during = HostSnapshot::take(watched);
  EXPECT_EQ(during.sysctls, before.sysctls) << "host sysctls changed while a quiz ran";
  EXPECT_EQ(during.quiz_port_sockets, before.quiz_port_sockets);
  t.join();
  EXPECT_EQ(killed.status, tristate::report::QuizStatus::error);
  EXPECT_NE(killed.error.find("timed out after 1500 ms at step 7"), std::string::npos) << killed.error;

  const HostSnapshot after = HostSnapshot::take(watched);
  expect_same(before, after);

  // No sandbox process survived, not even reparented: none of the pids the runner reported
  // is still a process of ours, and no process holding a quiz namespace's inode descends
  // from us. (Other processes on the machine may hold a namespace whose freed inode number
  // was reused: that is not ours.)
  // The 1 ms run may or may not get as far as the readiness point.
  EXPECT_GE(rec.sandboxes, static_cast<int>(shipped.size()) + 4);
  EXPECT_LE(rec.sandboxes, static_cast<int>(shipped.size()) + 5);
  EXPECT_EQ(rec.inodes.count(quiz::netns_inode("self")), 0u);
  for (pid_t pid : rec.pids) {
    const std::string stat = read_all("/proc/" + std::to_string(pid) + "/stat");
    EXPECT_TRUE(stat.empty() || ppid_of(pid) != ::getpid()) << "sandbox " << pid << " still runs";
  }
  for (pid_t pid : all_pids()) {
    if (!rec.inodes.count(quiz::netns_inode(std::to_string(pid)))) continue;
    for (pid_t up = pid; up > 1; up = ppid_of(up))
      EXPECT_NE(up, ::getpid()) << "pid " << pid << " descends from us and holds a quiz namespace";
  }
}

}  // namespace
}  // namespace tristate::test
