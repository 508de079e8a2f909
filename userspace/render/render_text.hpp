// Terminal rendering of a Report: each step, its result, and under it the bucket events it
// caused. Pure: returns text; the CLI decides where it goes and whether colour is on.
#pragma once

#include <string>

#include "report/report.hpp"

namespace tristate::render {

struct TextOptions {
  bool color = false;
  bool events = true;       // print bucket events under each step
  bool background = false;  // also the events no step caused (setup listener, timers)
};

std::string render_header(const report::Report& r, const TextOptions& o);
std::string render_quiz(const report::Quiz& q, const TextOptions& o);
std::string render_summary(const report::Report& r, const TextOptions& o);
std::string render_text(const report::Report& r, const TextOptions& o);

}  // namespace tristate::render
