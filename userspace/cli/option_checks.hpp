// Checks and conversions shared by every subcommand's flags, so that one kind of value is
// typed the same way everywhere (durations with units, values that must not be empty).
#pragma once

#include <CLI/CLI.hpp>
#include <chrono>

namespace tristate::cli {

// A duration flag: accepts "10s", "500ms", "2m" or a plain number counted in `unit` (the
// flag's unit before units existed) and hands CLI11 the count of `unit`s, within [lo, hi].
// `whole`: the flag stores an integer, so "1500ms" for a seconds flag is refused, not cut.
CLI::Validator duration_in(std::chrono::nanoseconds unit, std::chrono::nanoseconds lo,
                           std::chrono::nanoseconds hi, bool whole = true);

// `--kernel ''` or `--json ''` would otherwise mean "the default" or "no file" silently.
extern const CLI::Validator kNonEmpty;

// An output FILE (--json, --html, --markdown): refused while parsing when it cannot be
// written (util::check_output), so that no command works first and fails at the end.
extern const CLI::Validator kOutputFile;

}  // namespace tristate::cli
