#include "cli/command_boundary.hpp"

#include <spdlog/spdlog.h>

#include <exception>
#include <filesystem>
#include <string>

#include "cli/commands.hpp"
#include "lab/cache.hpp"
#include "lab/guest.hpp"

namespace tristate::cli {

namespace {

// libstdc++ says "filesystem error: cannot create directories: Permission denied [/x/y]": the
// path last, in brackets, after the library's own prefix. Say it as every other error is said,
// and where the path is the lab's cache (HOME=/nonexistent for nobody, a read-only home),
// how to put the cache elsewhere.
std::string describe(const std::filesystem::filesystem_error& e) {
  std::string what = e.what();
  if (what.rfind("filesystem error: ", 0) == 0) what = what.substr(18);
  if (auto b = what.find(" ["); b != std::string::npos) what = what.substr(0, b);
  const std::string reason = e.code().message();
  if (what.size() > reason.size() + 2 && what.ends_with(": " + reason))
    what = what.substr(0, what.size() - reason.size() - 2);  // the operation alone
  std::string paths = e.path1().string();
  if (!e.path2().empty()) paths += " -> " + e.path2().string();
  std::string out = what + " " + paths + ": " + reason;
  try {
    const std::string cache = lab::Cache::from_environment().root().string();
    if (!e.path1().empty() && e.path1().string().rfind(cache, 0) == 0)
      out += " (the lab's kernel cache is " + cache +
             ", from $XDG_CACHE_HOME or else $HOME: set XDG_CACHE_HOME to a directory this user can write)";
  } catch (const std::exception&) {
  }
  return out;
}

}  // namespace

std::string describe_error(const std::exception& e) {
  if (const auto* fs_error = dynamic_cast<const std::filesystem::filesystem_error*>(&e)) return describe(*fs_error);
  return e.what();
}

int at_command_boundary(const std::function<int()>& work) {
  try {
    return work();
  } catch (const std::exception& e) {
    // the console's last lines are what says why a guest failed
    const auto* guest = dynamic_cast<const lab::GuestError*>(&e);
    spdlog::error("{}", guest ? guest->detail() : describe_error(e));
    return kExitError;
  }
}

}  // namespace tristate::cli
