#include "cli/ports_text.hpp"

#include <map>
#include <sstream>

namespace tristate::cli {

using ports::HolderGroup;
using ports::NetnsPorts;

std::string with_commas(std::uint64_t v) {
  std::string s = std::to_string(v);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<std::size_t>(i), ",");
  return s;
}

namespace {

std::string who(const HolderGroup& g) {
  return g.pid ? g.comm + "[" + std::to_string(g.pid) + "]" : "no process (TIME_WAIT, closing, not accept()ed)";
}

std::string ports_word(std::uint64_t n) { return with_commas(n) + (n == 1 ? " port" : " ports"); }

}  // namespace

std::string ports_verdict(const NetnsPorts& n) {
  std::ostringstream o;
  const std::uint64_t open = n.free + n.shareable;
  if (n.destination && n.destination->error.empty())
    o << "connect() to " << n.destination->to << " from netns " << n.name << " can use "
      << with_commas(n.destination->usable) << " of " << ports_word(n.range_size);
  else
    o << "netns " << n.name << ": " << with_commas(open) << " of " << ports_word(n.range_size)
      << " are open to a plain connect()";
  o << "; " << with_commas(n.blocked) << (n.blocked == 1 ? " is" : " are") << " blocked by bind()-made buckets";
  if (!n.holders.empty()) o << ", " << with_commas(n.holders.front().ports) << " of them held by " << who(n.holders.front());
  if (n.destination && !n.destination->error.empty()) o << " (--dest: " << n.destination->error << ")";
  return o.str();
}

std::string ports_text(const ports::PortsSnapshot& s) {
  std::ostringstream o;
  for (const auto& n : s.namespaces) o << ports_verdict(n) << "\n";
  for (const auto& n : s.namespaces) {
    const auto& st = n.settings;
    o << "\nnetns " << n.name << " (inode " << n.inode << "): ip_local_port_range " << st.range_lo << "-"
      << st.range_hi << " (" << ports_word(n.range_size) << "), ip_local_reserved_ports "
      << (st.reserved_text.empty() ? "none" : st.reserved_text) << ", tcp_tw_reuse " << st.tw_reuse << "\n";
    o << "  free (no bucket)              " << with_commas(n.free) << "\n"
      << "  shareable (bucket -1/-1)      " << with_commas(n.shareable) << "\n"
      << "  blocked (bucket 0 or +1)      " << with_commas(n.blocked) << "\n"
      << "  reserved                      " << with_commas(n.reserved) << "\n";
    if (n.destination && n.destination->error.empty()) {
      const auto& d = *n.destination;
      o << "  to " << d.to << " from " << d.source << ": " << with_commas(d.usable) << " usable, "
        << with_commas(d.taken) << " shareable ports taken by connections to it";
      if (d.taken_time_wait) o << " (" << with_commas(d.taken_time_wait) << " of them TIME_WAIT that connect() will not reuse)";
      if (d.time_wait_reusable)
        o << "; " << with_commas(d.time_wait_reusable) << " usable only by reusing a TIME_WAIT (tcp_tw_reuse)";
      o << "\n";
    }
    if (n.holders.empty()) continue;
    o << "  holders of blocked ports:\n";
    std::map<ports::HolderKind, bool> kinds_seen;
    for (const auto& g : n.holders) {
      o << "    " << who(g) << ": " << ports_word(g.ports) << ", " << with_commas(g.sockets) << " socket"
        << (g.sockets == 1 ? "" : "s") << " —";
      bool first = true;
      for (const auto& [k, c] : g.kinds) {
        o << (first ? " " : ", ") << with_commas(c) << " " << ports::holder_kind_name(k);
        first = false;
        kinds_seen[k] = true;
      }
      if (g.reuseaddr) o << "; " << with_commas(g.reuseaddr) << " with SO_REUSEADDR";
      if (g.reuseport) o << "; " << with_commas(g.reuseport) << " with SO_REUSEPORT";
      o << "; local ";
      for (std::size_t i = 0; i < g.local_addresses.size() && i < 4; ++i) o << (i ? ", " : "") << g.local_addresses[i];
      if (g.local_addresses.size() > 4) o << " and " << g.local_addresses.size() - 4 << " more";
      o << "\n";
    }
    o << "  remedies:\n";
    for (const auto& [k, _] : kinds_seen)
      o << "    " << ports::holder_kind_name(k) << ": " << ports::holder_kind_remedy(k) << "\n";
  }
  return o.str();
}

std::string ports_changes(const ports::PortsSnapshot& before, const ports::PortsSnapshot& after) {
  std::ostringstream o;
  for (const auto& n : after.namespaces) {
    const NetnsPorts* p = nullptr;
    for (const auto& m : before.namespaces)
      if (m.inode == n.inode) p = &m;
    if (!p) continue;
    std::ostringstream line;
    auto delta = [&](const std::string& what, long long a, long long b) {
      if (a != b) line << " " << what << " " << (b > a ? "+" : "") << b - a;
    };
    delta("free", p->free, n.free);
    delta("shareable", p->shareable, n.shareable);
    delta("blocked", p->blocked, n.blocked);
    if (p->destination && n.destination) delta("usable", p->destination->usable, n.destination->usable);
    std::map<std::uint32_t, std::pair<std::uint32_t, std::string>> old;
    for (const auto& g : p->holders) old[g.pid] = {g.ports, who(g)};
    for (const auto& g : n.holders) {
      auto it = old.find(g.pid);
      delta(who(g), it == old.end() ? 0 : it->second.first, g.ports);
      if (it != old.end()) old.erase(it);
    }
    for (const auto& [pid, v] : old) delta(v.second, v.first, 0);
    if (!line.str().empty()) o << "  netns " << n.name << ":" << line.str() << "\n";
  }
  return o.str();
}

}  // namespace tristate::cli
