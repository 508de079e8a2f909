// Where everything a command writes to a named path goes: stdout for "-", else the file through
// util::write_output (regular files replaced atomically, devices, FIFOs and symlinks written in
// place). Reports, matrices, pages and the small JSON documents of quiz --list, doctor, state,
// kernels available and bisect all come through here.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace tristate::cli {

// Writes `text` to `path` ("-" = stdout). Logs the reason and returns false on failure.
bool write_output(const std::string& path, const std::string& text);

// A JSON document, indented, with invalid UTF-8 (a quiz's title bytes, a process's comm)
// written as U+FFFD instead of throwing after the work is done.
bool write_json(const std::string& path, const nlohmann::json& doc);

// The two notes above a table read by BPF iterators (state, ports): how it was read and what
// that cannot see. On stderr, so that the table on stdout pipes into sort/awk clean.
void print_method_notes(const std::string& method, const std::string& blind);

}  // namespace tristate::cli
