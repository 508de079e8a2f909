#include "trace/capabilities.hpp"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <sys/capability.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <type_traits>

#include "trace/attach_plan.hpp"
#include "trace/kernel_btf.hpp"
#include "trace/tracer.hpp"
#include "util/unique_fd.hpp"

namespace tristate::trace {
namespace {

namespace fs = std::filesystem;

std::string read_first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// "y", "m", "n" or "" (unknown) for CONFIG_<name>, from /proc/config.gz or /boot/config-*.
std::string kernel_config(const std::string& release, const std::string& name) {
  const std::string key = "CONFIG_" + name + "=";
  const std::string unset = "# CONFIG_" + name + " is not set";
  auto scan = [&](std::istream& in) -> std::string {
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind(key, 0) == 0) return line.substr(key.size());
      if (line == unset) return "n";
    }
    return "";
  };
  if (gzFile gz = gzopen("/proc/config.gz", "rb")) {
    std::string text;
    char buf[65536];
    int n;
    while ((n = gzread(gz, buf, sizeof(buf))) > 0) text.append(buf, static_cast<size_t>(n));
    gzclose(gz);
    std::istringstream in(text);
    if (auto v = scan(in); !v.empty()) return v;
  }
  std::ifstream boot("/boot/config-" + release);
  if (boot) return scan(boot);
  return "";
}

Check check_btf() {
  struct btf* btf = btf__load_vmlinux_btf();
  if (!btf) return {"btf", false, std::string("/sys/kernel/btf/vmlinux unreadable: ") + std::strerror(errno) +
                                      " (needs CONFIG_DEBUG_INFO_BTF=y)"};
  btf__free(btf);
  return {"btf", true, "/sys/kernel/btf/vmlinux"};
}

Check check_jit() {
  std::string v = read_first_line("/proc/sys/net/core/bpf_jit_enable");
  if (v.empty()) return {"bpf_jit", false, "/proc/sys/net/core/bpf_jit_enable unreadable"};
  if (v == "0") return {"bpf_jit", false, "bpf_jit_enable is 0: programs run in the interpreter (slower)"};
  return {"bpf_jit", true, "bpf_jit_enable=" + v};
}

Check check_fentry(report::ProbeMechanism mech, int attach_type) {
  const std::string name(report::name(mech));
  struct btf* btf = btf__load_vmlinux_btf();
  if (!btf) return {name, false, "no kernel BTF"};
  int id = btf__find_by_name_kind(btf, "inet_csk_get_port", BTF_KIND_FUNC);
  btf__free(btf);
  if (id < 0) return {name, false, "inet_csk_get_port is not in the kernel's BTF"};
  int err = try_tracing_attach(id, attach_type);
  if (err == 0) return {name, true, "a test program attached to inet_csk_get_port"};
  return {name, false, describe_attach_error(mech, "inet_csk_get_port", err)};
}

Check check_tracepoints() {
  const struct bpf_insn insns[] = {
      {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0},
      {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
  };
  int prog = bpf_prog_load(BPF_PROG_TYPE_RAW_TRACEPOINT, "ts_probe_tp", "GPL", insns, 2, nullptr);
  if (prog < 0) return {"tracepoints", false, std::string("raw tracepoint program refused: ") + std::strerror(-prog)};
  util::UniqueFd prog_fd(prog);
  const int link = bpf_raw_tracepoint_open("inet_sock_set_state", prog);
  prog_fd.reset();
  if (link < 0)
    return {"tracepoints", false, std::string("raw tracepoint sock:inet_sock_set_state: ") + std::strerror(-link)};
  const util::UniqueFd link_fd(link);
  return {"tracepoints", true, "raw tracepoint sock:inet_sock_set_state attached"};
}

Check check_ringbuf() {
  const int fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "ts_probe_rb", 0, 0, 4096, nullptr);
  if (fd < 0) return {"ringbuf", false, std::string("BPF ring buffer refused: ") + std::strerror(-fd) + " (needs 5.8+)"};
  const util::UniqueFd map(fd);
  return {"ringbuf", true, "BPF_MAP_TYPE_RINGBUF"};
}

}  // namespace

Check check_privileges() {
  std::unique_ptr<std::remove_pointer_t<cap_t>, int (*)(void*)> caps(cap_get_proc(), cap_free);
  if (!caps) return {"privileges", false, std::string("capget: ") + std::strerror(errno)};
  auto has = [&](cap_value_t cap) {
    cap_flag_value_t v = CAP_CLEAR;
    return cap_get_flag(caps.get(), cap, CAP_EFFECTIVE, &v) == 0 && v == CAP_SET;
  };
  std::string have;
  for (auto [cap, name] : {std::pair{CAP_BPF, "CAP_BPF"}, {CAP_PERFMON, "CAP_PERFMON"}, {CAP_SYS_ADMIN, "CAP_SYS_ADMIN"}})
    if (has(cap)) have += (have.empty() ? "" : " ") + std::string(name);
  bool ok = has(CAP_SYS_ADMIN) || (has(CAP_BPF) && has(CAP_PERFMON));
  if (!ok) return {"privileges", false, "needs CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN); have: " + (have.empty() ? std::string("none") : have)};
  return {"privileges", true, have};
}

const Check* Capabilities::find(const std::string& name) const {
  for (const auto& c : checks)
    if (c.name == name) return &c;
  return nullptr;
}

Check probe_kprobes(const std::string& release) {
  for (const char* p : {"/sys/bus/event_source/devices/kprobe/type", "/sys/kernel/tracing/kprobe_events",
                        "/sys/kernel/debug/tracing/kprobe_events"})
    if (fs::exists(p)) return {"kprobes", true, p};
  std::string cfg = kernel_config(release, "KPROBES");
  if (cfg == "n") return {"kprobes", false, "CONFIG_KPROBES is not set"};
  return {"kprobes", false, "no kprobe PMU (/sys/bus/event_source/devices/kprobe) and no kprobe_events in tracefs" +
                                std::string(cfg.empty() ? "" : " (CONFIG_KPROBES=" + cfg + ")")};
}

int probe_tracing_refused() {
  const struct bpf_insn insns[] = {
      {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0},
      {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
  };
  // attach_btf_id 1 is never a function: a kernel that allows tracing answers EINVAL
  // (measured on 5.10 and 6.12 guests), one that forbids it EPERM (this project's 6.18 hosts).
  LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_FENTRY, .attach_btf_id = 1);
  const int fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "ts_probe_perm", "GPL", insns, 2, &opts);
  if (fd >= 0) {
    const util::UniqueFd prog(fd);
    return 0;
  }
  return -fd == EPERM ? EPERM : 0;
}

Capabilities probe_capabilities() {
  route_libbpf_logs_to_spdlog();
  Capabilities caps;
  struct utsname u {};
  uname(&u);
  caps.kernel_release = u.release;
  caps.checks.push_back({"kernel", true, std::string(u.release) + " " + u.machine});
  caps.checks.push_back(check_btf());
  caps.checks.push_back(check_jit());
  caps.checks.push_back(check_privileges());
  caps.checks.push_back(check_ringbuf());
  caps.checks.push_back(probe_kprobes(caps.kernel_release));
  caps.checks.push_back(check_fentry(report::ProbeMechanism::fentry, BPF_TRACE_FENTRY));
  caps.checks.push_back(check_fentry(report::ProbeMechanism::fexit, BPF_TRACE_FEXIT));
  caps.checks.push_back(check_tracepoints());

  auto ok = [&](const char* n) { return caps.find(n) && caps.find(n)->ok; };
  if (!ok("privileges")) {
    // Every probe below then fails with the EPERM a forbidding kernel gives too: what this
    // kernel allows shows only to a privileged process.
    caps.mode = report::TraceMode::none;
    caps.mode_reason = "this process lacks CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN): run tristate as root; "
                       "a lab guest (--kernel 6.12) needs no root";
  } else if (!ok("btf")) {
    caps.mode = report::TraceMode::none;
    caps.mode_reason = "no kernel BTF: the CO-RE tracer cannot load";
  } else if (ok("fentry") && ok("fexit")) {
    caps.mode = report::TraceMode::fentry;
    caps.mode_reason = "fentry/fexit attach";
  } else if (ok("kprobes")) {
    caps.mode = report::TraceMode::kprobe;
    caps.mode_reason = "fentry/fexit refused, kprobes available";
  } else {
    caps.mode = report::TraceMode::none;
    caps.mode_reason = "fentry/fexit refused and no kprobes: trace inside a guest kernel (--kernel 6.12)";
  }
  return caps;
}

}  // namespace tristate::trace
