#include "cli/option_checks.hpp"

#include <cmath>
#include <sstream>

#include "util/duration.hpp"
#include "util/output_file.hpp"

namespace tristate::cli {

namespace {

std::string unit_name(std::chrono::nanoseconds unit) {
  if (unit == std::chrono::milliseconds(1)) return "milliseconds";
  if (unit == std::chrono::seconds(1)) return "seconds";
  return std::to_string(unit.count()) + " ns";
}

std::string show(std::chrono::nanoseconds d) {
  std::ostringstream s;
  if (d.count() % 1000000000 == 0) s << d.count() / 1000000000 << "s";
  else s << d.count() / 1000000 << "ms";
  return s.str();
}

}  // namespace

CLI::Validator duration_in(std::chrono::nanoseconds unit, std::chrono::nanoseconds lo,
                           std::chrono::nanoseconds hi, bool whole) {
  return CLI::Validator(
      [=](std::string& text) -> std::string {
        auto parsed = util::parse_duration(text, unit);
        if (!parsed.value) return parsed.error;
        const auto d = *parsed.value;
        if (d < lo || d > hi) return "'" + text + "' is outside " + show(lo) + " .. " + show(hi);
        if (whole && d.count() % unit.count() != 0)
          return "'" + text + "' is not a whole number of " + unit_name(unit);
        const double count = static_cast<double>(d.count()) / static_cast<double>(unit.count());
        std::ostringstream out;
        out.precision(17);
        out << (whole ? std::round(count) : count);
        text = out.str();
        return "";
      },
      "", "duration");
}

const CLI::Validator kNonEmpty(
    [](std::string& text) -> std::string { return text.empty() ? "an empty value is not allowed" : ""; },
    "", "non-empty");

const CLI::Validator kOutputFile(
    [](std::string& text) -> std::string {
      auto ok = util::check_output(text);
      return ok ? "" : ok.error().message;
    },
    "", "output file");

}  // namespace tristate::cli
