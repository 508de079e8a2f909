#include "lab/guest_order.hpp"

#include <algorithm>
#include <fstream>
#include <numeric>
#include <string>

#include "util/atomic_file.hpp"

namespace fs = std::filesystem;

namespace tristate::lab {
namespace {

constexpr const char* kFile = "guest-seconds";

std::optional<fs::path> record_path(const Kernel& k) {
  if (k.manifest.origin == "path" || k.vmlinuz.empty()) return std::nullopt;
  return k.vmlinuz.parent_path() / kFile;
}

}  // namespace

std::optional<double> last_guest_seconds(const Kernel& kernel) {
  const auto p = record_path(kernel);
  if (!p) return std::nullopt;
  std::ifstream in(*p);
  double s = 0;
  if (!(in >> s) || !(s > 0)) return std::nullopt;
  return s;
}

void remember_guest_seconds(const Kernel& kernel, double seconds) {
  if (const auto p = record_path(kernel)) (void)util::write_file_atomic(*p, std::to_string(seconds) + "\n");
}

std::vector<std::size_t> longest_first(const std::vector<std::optional<double>>& seconds) {
  std::vector<std::size_t> order(seconds.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (!seconds[a] || !seconds[b]) return !seconds[a] && seconds[b];
    return *seconds[a] > *seconds[b];
  });
  return order;
}

}  // namespace tristate::lab
