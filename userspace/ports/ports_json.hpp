// `tristate ports --json`: the document docs/ports.schema.json describes.
#pragma once

#include <nlohmann/json.hpp>

#include "ports/ports.hpp"

namespace tristate::ports {

inline constexpr const char* kPortsSchema = "tristate.ports/1";

nlohmann::json ports_json(const PortsSnapshot& s);

}  // namespace tristate::ports
