#include "compare/matrix_json.hpp"

#include "report/report_json.hpp"

namespace tristate::compare {

using nlohmann::json;

namespace {

json events_or_null(const std::vector<std::optional<report::Event>>& v) {
  json a = json::array();
  for (const auto& e : v) a.push_back(e ? json(*e) : json(nullptr));
  return a;
}

}  // namespace

void to_json(json& j, const Column& v) {
  j = json{{"label", v.label},     {"file", v.file},
           {"release", v.release}, {"where", v.where},
           {"trace_mode", v.trace_mode}, {"traced", v.traced},
           {"bhash2", v.bhash2}, {"bhash2_state", v.bhash2_state}};
}

void to_json(json& j, const Cell& v) {
  j = json{{"present", v.present}, {"outcome", v.outcome}, {"matched", v.matched},
           {"state", v.state},     {"actual", v.actual},   {"events", v.events},
           {"differs", v.differs}};
  if (!v.snapshot.empty()) j["snapshot"] = v.snapshot;
}

void to_json(json& j, const Row& v) {
  j = json{{"quiz", v.quiz},
           {"step", v.step},
           {"line", v.line},
           {"source", v.source},
           {"matters", v.matters()},
           {"differs", v.differs()},
           {"failed", v.failed},
           {"outcome_differs", v.outcome_differs},
           {"state_differs", v.state_differs},
           {"events_differ", v.events_differ},
           {"snapshot_differs", v.snapshot_differs},
           {"state_changed", v.state_changed},
           {"cells", v.cells}};
  if (v.divergence) {
    const auto& d = *v.divergence;
    j["divergence"] = json{{"position", d.position},
                           {"compared", d.compared},
                           {"previous", events_or_null(d.previous)},
                           {"events", events_or_null(d.at)}};
  }
}

void to_json(json& j, const Transition& v) {
  j = json{{"from", v.from}, {"to", v.to}, {"step", v.step}, {"source", v.source},
           {"port", v.port}};
}

void to_json(json& j, const Matrix& v) {
  json missing = json::array();
  for (const auto& m : v.missing)
    missing.push_back(json{{"column", m.column}, {"quizzes", m.quizzes}});
  json diagrams = json::array();
  for (const auto& d : v.diagrams)
    diagrams.push_back(
        json{{"quiz", d.quiz}, {"columns", d.columns}, {"transitions", d.transitions}});
  j = json{{"schema", kMatrixSchema},
           {"agree", v.agree()},
           {"differing_rows", v.differing_rows()},
           {"columns", v.columns},
           {"quizzes", v.quizzes},
           {"missing", missing},
           {"rows", v.rows},
           {"diagrams", diagrams}};
}

}  // namespace tristate::compare
