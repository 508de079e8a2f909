// Bucket state after every quiz step, read by BPF iterators (bpf/snapshot.bpf.c): no tracing
// needed, so it works where fentry and kprobes are refused (the 6.18 host) and in guests with
// --no-trace, and beside the tracer.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "quiz/step_probe.hpp"
#include "report/report.hpp"
#include "trace/libbpf_owner.hpp"
#include "trace/result.hpp"

struct snapshot_bpf;

namespace tristate::trace {

template <>
void LibbpfDestroy<snapshot_bpf>::operator()(snapshot_bpf* p) const;

enum class SnapshotMethod {
  TaskFileAndTcp,        // bpf_sock_from_file() (5.11+) for the process's sockets, iter/tcp
  LegacyTaskFileAndTcp,  // 5.8 - 5.10: socket files recognised by their sockfs inode
};
const char* snapshot_method_name(SnapshotMethod m);

// Which processes the task_file iterator keeps.
enum class TaskScope {
  Reader,  // only the process reading the iterator (a quiz's sandbox child)
  All,     // every process (`tristate state`)
};

// Whether the object's iter/tcp program is loaded: a quiz never reads the TCP tables (a step's
// state comes from its process's files), and the program's verification is ~0.5 ms of every
// quiz process on the host, ~5 ms under TCG.
enum class TcpTables {
  Skip,  // read_tcp_tables() fails
  Load,  // `tristate state`, the bench
};

// The iterators' records (struct ts_snap_sock) as the step's state, sockets named with the
// quiz's names. Without iter/tcp's records, a listener's accept queue is shown from its count
// (sk_ack_backlog) as that many "ln.child", and a bucket looked up by port that no file holds
// any more is named after its first owner (time-wait, closing, ln.child). Pure.
report::StepState build_step_state(const void* records, std::size_t bytes, const quiz::SocketNames& names);

// The kernel functions whose BTF ids the snapshot object's iterators attach to.
std::vector<std::string> snapshot_iterator_functions();

// Owns the loaded snapshot object. Loaded once in the parent before quizzes fork; each sandbox
// child attaches its own iterator links (child_started) and reads them after every step.
class StepSnapshotter final : public quiz::StepProbe {
 public:
  // Fails with a one-line message (mechanism, errno, what is needed) where iterators are refused.
  static Result<std::unique_ptr<StepSnapshotter>> load(TaskScope scope = TaskScope::Reader,
                                                       TcpTables tcp = TcpTables::Skip);
  ~StepSnapshotter() override;
  StepSnapshotter(const StepSnapshotter&) = delete;
  StepSnapshotter& operator=(const StepSnapshotter&) = delete;

  SnapshotMethod method() const { return method_; }

  void child_started(int fd_floor) override;
  report::StepState after_step(const quiz::SocketNames& names) override;
  void child_finished(pid_t pid) override;

  // Attaches (if not yet) and reads both iterators in the calling thread's namespace: the raw
  // records, task_file's first. For `tristate state` and the bench (loaded with TcpTables::Load).
  Result<std::vector<char>> read_records();
  // One iterator only: the processes' files (per the scope), or the TCP tables of the calling
  // thread's network namespace. Appends the records to `out`.
  Result<bool> read_task_files(std::vector<char>& out);
  Result<bool> read_tcp_tables(std::vector<char>& out);

  // Test-only (TRISTATE_TEST_SNAPSHOT_FAIL): the next snapshot fails as if the iterator had.
  void fail_next_for_test() { fail_next_ = true; }

 private:
  StepSnapshotter() = default;
  Result<bool> attach();
  void detach();

  LibbpfPtr<snapshot_bpf> skel_;
  SnapshotMethod method_ = SnapshotMethod::TaskFileAndTcp;
  TcpTables tcp_ = TcpTables::Skip;
  LibbpfPtr<bpf_link> task_link_;
  LibbpfPtr<bpf_link> tcp_link_;
  std::string attach_error_;
  std::vector<char> buf_;
  std::vector<std::uint16_t> ports_;  // ports this quiz's snapshots saw on a bucket
  std::size_t ports_sent_ = 0;        // how many of them the map holds
  bool fail_next_ = false;
  // In a quiz child: the task_file link and the ports map, moved to the child's high
  // descriptors (child_started); -1 elsewhere, where the libbpf objects' own fds serve.
  int child_task_fd_ = -1;
  int child_ports_fd_ = -1;
};

}  // namespace tristate::trace
