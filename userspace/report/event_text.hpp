// An event as a person reads it. Two forms, on purpose: a table cell holds a kernel's column
// next to three others, so it needs the compact, field-for-field line; the quiz report reads
// one kernel's steps top to bottom and says what each move means. Every output picks one of
// these two (fewer variants: matrix, Markdown, HTML and bisect share the compact one).
#pragma once

#include <string>

#include "report/report.hpp"

namespace tristate::report {

// "bucket_state :60000 0/0→-1/-1 inet_csk_update_fastreuse [connect]".
std::string event_line(const Event& e);

// "bhash 60000 created by bind() -> 0/0 (bind()-made, no fast reuse)  [inet_bind_bucket_create]".
std::string event_story(const Event& e);

}  // namespace tristate::report
