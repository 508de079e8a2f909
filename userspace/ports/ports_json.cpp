#include "ports/ports_json.hpp"

namespace tristate::ports {

nlohmann::json ports_json(const PortsSnapshot& s) {
  nlohmann::json j{{"schema", kPortsSchema}, {"method", s.method}, {"blind", s.blind},
                   {"namespaces", nlohmann::json::array()}};
  for (const auto& n : s.namespaces) {
    nlohmann::json ns{{"name", n.name},
                      {"inode", n.inode},
                      {"ip_local_port_range", {n.settings.range_lo, n.settings.range_hi}},
                      {"ip_local_reserved_ports", n.settings.reserved_text},
                      {"tcp_tw_reuse", n.settings.tw_reuse},
                      {"range_size", n.range_size},
                      {"free", n.free},
                      {"shareable", n.shareable},
                      {"blocked", n.blocked},
                      {"reserved", n.reserved},
                      {"sockets_seen", n.sockets_seen},
                      {"holders", nlohmann::json::array()}};
    for (const auto& g : n.holders) {
      nlohmann::json kinds = nlohmann::json::object();
      for (const auto& [k, c] : g.kinds)
        kinds[holder_kind_name(k)] = {{"sockets", c}, {"remedy", holder_kind_remedy(k)}};
      ns["holders"].push_back({{"pid", g.pid},
                               {"comm", g.comm},
                               {"ports", g.ports},
                               {"sockets", g.sockets},
                               {"kinds", kinds},
                               {"reuseaddr", g.reuseaddr},
                               {"reuseport", g.reuseport},
                               {"local_addresses", g.local_addresses}});
    }
    if (n.destination) {
      const auto& d = *n.destination;
      ns["destination"] = {{"to", d.to},
                           {"source", d.source},
                           {"usable", d.usable},
                           {"taken", d.taken},
                           {"taken_time_wait", d.taken_time_wait},
                           {"time_wait_reusable", d.time_wait_reusable}};
      if (!d.error.empty()) ns["destination"]["error"] = d.error;
    }
    j["namespaces"].push_back(std::move(ns));
  }
  return j;
}

}  // namespace tristate::ports
