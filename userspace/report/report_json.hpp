// JSON mapping of the Report, kept beside the types rather than inside the logic.
#pragma once

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "report/report.hpp"

namespace tristate::report {

void to_json(nlohmann::json& j, const Name& v);
void from_json(const nlohmann::json& j, Name& v);
void to_json(nlohmann::json& j, const BucketState& v);
void from_json(const nlohmann::json& j, BucketState& v);
// Every enum of report/kinds.hpp as its name. A name this build does not know is an error
// (report_check refuses it first, with the JSON path and the names it knows).
template <typename E>
  requires std::is_enum_v<E> && requires(E e) { name(e); }
void to_json(nlohmann::json& j, E v) {
  j = name(v);
}
template <typename E>
  requires std::is_enum_v<E> && requires(E e) { name(e); }
void from_json(const nlohmann::json& j, E& v) {
  const auto k = from_name<E>(j.get_ref<const std::string&>());
  if (!k) throw std::invalid_argument("unknown name " + j.dump());
  v = *k;
}
void to_json(nlohmann::json& j, const Event& v);
void from_json(const nlohmann::json& j, Event& v);
void to_json(nlohmann::json& j, const StateCheck& v);
void from_json(const nlohmann::json& j, StateCheck& v);
void to_json(nlohmann::json& j, const CallResult& v);
void from_json(const nlohmann::json& j, CallResult& v);
void to_json(nlohmann::json& j, const SockState& v);
void from_json(const nlohmann::json& j, SockState& v);
void to_json(nlohmann::json& j, const StepState& v);
void from_json(const nlohmann::json& j, StepState& v);
void to_json(nlohmann::json& j, const StateInfo& v);
void from_json(const nlohmann::json& j, StateInfo& v);
void to_json(nlohmann::json& j, const Step& v);
void from_json(const nlohmann::json& j, Step& v);
void to_json(nlohmann::json& j, const Sysctls& v);
void from_json(const nlohmann::json& j, Sysctls& v);
void to_json(nlohmann::json& j, const Quiz& v);
void from_json(const nlohmann::json& j, Quiz& v);
void to_json(nlohmann::json& j, const KernelInfo& v);
void from_json(const nlohmann::json& j, KernelInfo& v);
void to_json(nlohmann::json& j, const Probe& v);
void from_json(const nlohmann::json& j, Probe& v);
void to_json(nlohmann::json& j, const TraceInfo& v);
void from_json(const nlohmann::json& j, TraceInfo& v);
void to_json(nlohmann::json& j, const Report& v);
void from_json(const nlohmann::json& j, Report& v);

// Parses a Report document; throws std::runtime_error naming `what` (a file name) and the
// problem: not JSON (with byte offset), wrong schema major, missing field.
Report parse_report(const std::string& text, const std::string& what);

}  // namespace tristate::report
