#include <bpf/libbpf.h>
#include <spdlog/spdlog.h>

#include <cstdarg>
#include <cstdio>
#include <string>

#include "trace/tracer.hpp"

namespace tristate::trace {
namespace {

int print_to_spdlog(enum libbpf_print_level level, const char* fmt, va_list args) {
  char buf[1024];
  int n = std::vsnprintf(buf, sizeof(buf), fmt, args);
  std::string s(buf, n < 0 ? 0 : std::min<size_t>(n, sizeof(buf) - 1));
  while (!s.empty() && s.back() == '\n') s.pop_back();
  if (level == LIBBPF_DEBUG)
    spdlog::trace("libbpf: {}", s);
  else
    spdlog::debug("libbpf: {}", s);
  return n;
}

}  // namespace

void route_libbpf_logs_to_spdlog() { libbpf_set_print(print_to_spdlog); }

}  // namespace tristate::trace
