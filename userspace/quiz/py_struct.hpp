// struct.pack() for the integer formats quizzes pass to setsockopt (I i H h B b Q q, with an
// optional byte-order prefix < > = ! @), with the struct.error messages CPython 3.11 gives.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "quiz/pyrepr.hpp"

namespace tristate::quiz {

struct Packed {
  std::string bytes;
  std::string error;  // the exception line when packing fails ("struct.error: ..."), else ""
};

Packed py_pack(const PyValue& format, const std::vector<PyValue>& values);

}  // namespace tristate::quiz
