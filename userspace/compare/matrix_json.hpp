// JSON mapping of the Matrix (shape documented in docs/json.md, section "matrix").
#pragma once

#include <nlohmann/json.hpp>

#include "compare/matrix.hpp"

namespace tristate::compare {

void to_json(nlohmann::json& j, const Column& v);
void to_json(nlohmann::json& j, const Cell& v);
void to_json(nlohmann::json& j, const Row& v);
void to_json(nlohmann::json& j, const Transition& v);
void to_json(nlohmann::json& j, const Matrix& v);

}  // namespace tristate::compare
