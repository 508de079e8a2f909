#include "cli/command_boundary.hpp"

#include <spdlog/spdlog.h>

#include <exception>
#include <string>

#include "cli/commands.hpp"
#include "lab/guest.hpp"

namespace tristate::cli {

int at_command_boundary(const std::function<int()>& work) {
  try {
    return work();
  } catch (const std::exception& e) {
    // the console's last lines are what says why a guest failed
    const auto* guest = dynamic_cast<const lab::GuestError*>(&e);
    spdlog::error("{}", guest ? guest->detail() : std::string(e.what()));
    return kExitError;
  }
}

}  // namespace tristate::cli
