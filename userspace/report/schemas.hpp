// The `schema` of every JSON document or line tristate writes besides the Report
// (report.hpp: kSchema) and the Matrix (compare/matrix.hpp: kMatrixSchema). Each has a JSON
// Schema in docs/ and a test that validates real output against it (tests/schema/). The
// major changes when a field changes meaning or type; fields are only added within a major.
#pragma once

namespace tristate::report {

inline constexpr const char* kStateSchema = "tristate.state/1";        // state --json
inline constexpr const char* kDoctorSchema = "tristate.doctor/1";      // doctor --json
inline constexpr const char* kTraceSchema = "tristate.trace/1";        // trace --json, each line
inline constexpr const char* kStateWatchSchema = "tristate.state-watch/1";  // state --watch --json, each line
inline constexpr const char* kQuizListSchema = "tristate.quiz-list/1"; // quiz --list --json
inline constexpr const char* kKernelsSchema = "tristate.kernels-available/1";  // kernels available --json
inline constexpr const char* kBisectSchema = "tristate.bisect/1";      // bisect --json

}  // namespace tristate::report
