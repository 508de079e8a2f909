// The named constants a quiz may spell (AF_INET, SOL_SOCKET, SO_REUSEADDR, ...) and the
// Linux numbers they stand for. One table, so the parser, its error messages and the docs
// agree on what exists.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tristate::quiz {

struct Constant {
  enum class Kind { Family, SockType, Protocol, Level, Option, Value };
  std::string_view name;
  long long value = 0;
  Kind kind = Kind::Value;
  // Options only: the level the option belongs to (SO_* -> SOL_SOCKET = 1, IP_* -> 0, ...).
  int level = -1;
};

std::optional<Constant> find_constant(std::string_view name);

// "SOL_SOCKET" for 1, "SOL_IP" for 0, "SOL_IPV6" for 41: how errors name an option's level.
std::string_view level_name(int level);

// Comma-separated names of one kind, for "expected one of ..." messages.
std::string constant_names(Constant::Kind kind);

}  // namespace tristate::quiz
