// errno numbers <-> their symbolic names ("EADDRNOTAVAIL" <-> 99), as Linux defines them.
// Reports carry both so a reader never has to look a number up.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tristate::util {

// "EADDRNOTAVAIL" for 99; "" for a number Linux does not define. Aliases (EWOULDBLOCK,
// EDEADLOCK, ENOTSUP) are never returned: the canonical name wins.
std::string_view errno_name(int err);

// 99 for "EADDRNOTAVAIL"; accepts the aliases EWOULDBLOCK, EDEADLOCK, ENOTSUP. Case-sensitive.
std::optional<int> errno_from_name(std::string_view name);

// errno_name(err), or "E?<err>" when the number is not a Linux errno, so a report never
// shows an empty name next to a number.
std::string errno_label(int err);

}  // namespace tristate::util
