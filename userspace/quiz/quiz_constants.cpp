#include "quiz/quiz_constants.hpp"

#include <array>

namespace tristate::quiz {
namespace {

using K = Constant::Kind;

// Values from the Linux UAPI headers (linux/socket.h, linux/in.h, linux/in6.h,
// asm-generic/socket.h). Python's socket module exposes the same numbers where it has them;
// SOL_IPV6 and IP_LOCAL_PORT_RANGE it lacks, so bench/quiz_to_python.py defines them.
constexpr std::array kConstants{
    Constant{"AF_INET", 2, K::Family},
    Constant{"AF_INET6", 10, K::Family},
    Constant{"AF_UNSPEC", 0, K::Value},  // not a socket() family here: disconnect(s) uses it
    Constant{"SOCK_STREAM", 1, K::SockType},
    Constant{"IPPROTO_TCP", 6, K::Protocol},
    Constant{"SOL_SOCKET", 1, K::Level},
    Constant{"SOL_IP", 0, K::Level},
    Constant{"IPPROTO_IP", 0, K::Level},
    Constant{"SOL_IPV6", 41, K::Level},
    Constant{"IPPROTO_IPV6", 41, K::Level},
    Constant{"SO_REUSEADDR", 2, K::Option, 1},
    Constant{"SO_REUSEPORT", 15, K::Option, 1},
    Constant{"SO_TYPE", 3, K::Option, 1},
    Constant{"SO_ERROR", 4, K::Option, 1},
    Constant{"SO_KEEPALIVE", 9, K::Option, 1},
    Constant{"SO_LINGER", 13, K::Option, 1},
    Constant{"IP_BIND_ADDRESS_NO_PORT", 24, K::Option, 0},
    Constant{"IP_LOCAL_PORT_RANGE", 51, K::Option, 0},
    Constant{"IPV6_V6ONLY", 26, K::Option, 41},
    Constant{"SOMAXCONN", 4096, K::Value},
    Constant{"SHUT_RD", 0, K::Value},
    Constant{"SHUT_WR", 1, K::Value},
    Constant{"SHUT_RDWR", 2, K::Value},
    Constant{"True", 1, K::Value},
    Constant{"False", 0, K::Value},
};

}  // namespace

std::optional<Constant> find_constant(std::string_view name) {
  for (const auto& c : kConstants)
    if (c.name == name) return c;
  return std::nullopt;
}

std::string_view level_name(int level) {
  switch (level) {
    case 0: return "SOL_IP";
    case 1: return "SOL_SOCKET";
    case 41: return "SOL_IPV6";
    default: return "?";
  }
}

std::string constant_names(Constant::Kind kind) {
  std::string out;
  for (const auto& c : kConstants) {
    if (c.kind != kind) continue;
    if (!out.empty()) out += ", ";
    out += c.name;
  }
  return out;
}

}  // namespace tristate::quiz
