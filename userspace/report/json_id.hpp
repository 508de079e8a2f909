// 64-bit ids in JSON (bucket ids: hashed kernel addresses). JSON numbers above 2^53 are
// rounded by jq 1.6 and JavaScript, so ids are written as decimal strings ("1234…"); readers
// also take the unsigned integers documents before tristate.report/2 carry.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace tristate::report {

inline nlohmann::json id_to_json(std::uint64_t id) { return std::to_string(id); }

// The id in `v`: an unsigned integer, or a string of 1 to 20 decimal digits at most
// 18446744073709551615. nullopt for anything else.
inline std::optional<std::uint64_t> id_from_json(const nlohmann::json& v) {
  if (v.is_number_unsigned()) return v.get<std::uint64_t>();
  if (v.is_number_integer()) {
    const auto x = v.get<std::int64_t>();
    return x >= 0 ? std::optional<std::uint64_t>(static_cast<std::uint64_t>(x)) : std::nullopt;
  }
  if (!v.is_string()) return std::nullopt;
  const auto& s = v.get_ref<const std::string&>();
  if (s.empty() || s.size() > 20) return std::nullopt;
  std::uint64_t x = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    const std::uint64_t d = static_cast<std::uint64_t>(c - '0');
    if (x > (UINT64_MAX - d) / 10) return std::nullopt;  // past 2^64-1
    x = x * 10 + d;
  }
  return x;
}

}  // namespace tristate::report
