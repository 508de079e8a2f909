// Strict checks of a Report document before it is read into the types: a file from another
// machine, or edited by hand, must either mean what the types can hold or be refused with the
// JSON path of the first field that is wrong (a port of 99999999 must not turn into 57599).
// Unknown fields are allowed (a newer minor version adds some); known ones are checked for
// type, range and, where the set is closed, value.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace tristate::report {

// The first problem as "/quizzes/0/steps/2/events/1/port: expected an integer 0..65535,
// found 99999999", or nothing when the document is sound.
std::optional<std::string> check_report(const nlohmann::json& doc);

}  // namespace tristate::report
