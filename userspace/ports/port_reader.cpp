#include "ports/port_reader.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <string>

#include <spdlog/spdlog.h>

#include "ports.skel.h"
#include "trace/iterator_object.hpp"
#include "trace/tracer.hpp"
#include "util/unique_fd.hpp"

extern "C" {
#include "bpf/ports.h"
}

namespace tristate::trace {
template <>
void LibbpfDestroy<ports_bpf>::operator()(ports_bpf* p) const {
  ports_bpf__destroy(p);
}
}  // namespace tristate::trace

namespace tristate::ports {

static_assert(sizeof(ts_port_sock) == 88, "bpf/ports.h ts_port_sock layout");
static_assert(offsetof(ts_port_sock, laddr) == 8 && offsetof(ts_port_sock, raddr) == 24 &&
                  offsetof(ts_port_sock, netns) == 40 && offsetof(ts_port_sock, lport) == 56 &&
                  offsetof(ts_port_sock, source) == 62 && offsetof(ts_port_sock, flags) == 66 &&
                  offsetof(ts_port_sock, comm) == 68,
              "bpf/ports.h ts_port_sock offsets");

Result<std::unique_ptr<PortReader>> PortReader::load() {
  const std::uint64_t salt = trace::random_salt();
  std::size_t elf_size = 0;
  const void* elf = ports_bpf__elf_bytes(&elf_size);
  trace::LibbpfPtr<ports_bpf> skel;
  // variant 1 is 5.10's: no bpf_sock_from_file(), whose call fails the object as a whole
  auto attempt = [&](const bpf_object_open_opts& opts, std::size_t legacy) -> int {
    skel.reset(ports_bpf__open_opts(&opts));
    if (!skel) return -errno;
    skel->rodata->id_salt = salt;
    bpf_program__set_autoload(skel->progs.iter__port_holders, !legacy);
    bpf_program__set_autoload(skel->progs.iter__port_holders_old, legacy);
    const int err = ports_bpf__load(skel.get());
    if (err != 0) skel.reset();
    return err;
  };
  auto loaded = trace::load_iterator_object({static_cast<const char*>(elf), elf_size}, "ports", 2, attempt);
  if (!loaded)
    return Error{"loading the BPF iterators iter/task_file and iter/tcp failed (" + loaded.error().message +
                 "): `tristate ports` needs BPF iterators (5.8+ for task_file, 5.9+ for tcp), kernel BTF "
                 "(/sys/kernel/btf/vmlinux) and CAP_BPF+CAP_PERFMON+CAP_SYS_ADMIN or root"};
  const trace::CoreLoad& how = loaded.value();
  spdlog::debug("ports: loaded in {:.1f} ms ({} BTF, attempt {})", how.ms, how.whole_btf ? "whole" : "minimal", how.attempt);
  std::unique_ptr<PortReader> r(new PortReader());
  r->skel_ = std::move(skel);
  r->legacy_ = how.variant == 1;
  return r;
}

PortReader::~PortReader() = default;

namespace {

Result<bool> read_iterator(int link_fd, const char* what, std::vector<char>& out) {
  util::UniqueFd fd(bpf_iter_create(link_fd));
  if (!fd) return Error{std::string("creating the ") + what + " iterator failed (" + std::strerror(errno) + ")"};
  // records are 88 bytes: a large read moves a proxy's 50,000 sockets in few syscalls
  std::size_t at = out.size();
  for (;;) {
    out.resize(at + (1 << 16));
    const ssize_t n = ::read(fd.get(), out.data() + at, 1 << 16);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      out.resize(at);
      return Error{std::string("reading the ") + what + " iterator failed (" + std::strerror(errno) + ")"};
    }
    at += static_cast<std::size_t>(n);
    if (n == 0) break;
  }
  out.resize(at);
  return true;
}

}  // namespace

Result<bool> PortReader::read_holders(std::uint16_t lo, std::uint16_t hi, std::vector<char>& out) {
  skel_->data->port_lo = lo;  // .data is mmaped: the next read sees it
  skel_->data->port_hi = hi;
  if (!task_link_) {
    bpf_program* p = legacy_ ? skel_->progs.iter__port_holders_old : skel_->progs.iter__port_holders;
    task_link_.reset(bpf_program__attach_iter(p, nullptr));
    if (!task_link_) return Error{std::string("attaching iter/task_file failed (") + std::strerror(errno) + ")"};
  }
  return read_iterator(bpf_link__fd(task_link_.get()), "iter/task_file", out);
}

Result<bool> PortReader::read_tables(std::vector<char>& out) {
  if (!tcp_link_) {
    tcp_link_.reset(bpf_program__attach_iter(skel_->progs.iter__port_sockets, nullptr));
    if (!tcp_link_) return Error{std::string("attaching iter/tcp failed (") + std::strerror(errno) + ")"};
  }
  return read_iterator(bpf_link__fd(tcp_link_.get()), "iter/tcp", out);
}

}  // namespace tristate::ports
