// `tristate ports`: why connect() gets EADDRNOTAVAIL on a live machine. Which ports of
// ip_local_port_range a plain connect() can still get, in one or every network namespace, and
// who holds the ones bind() made unusable, with the remedy for each kind. BPF iterators only.
#include <signal.h>
#include <time.h>

#include <chrono>
#include <cstring>
#include <iostream>
#include <memory>
#include <optional>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "cli/commands.hpp"
#include "cli/option_checks.hpp"
#include "cli/privileges.hpp"
#include "cli/ports_text.hpp"
#include "cli/text_output.hpp"
#include "ports/netns_target.hpp"
#include "ports/port_reader.hpp"
#include "ports/ports_json.hpp"
#include "ports/take_ports.hpp"
#include "util/blocked_signals.hpp"

namespace tristate::cli {
namespace {

struct PortsArgs {
  std::string netns;
  std::string to;
  std::string json;
  double watch = 0;  // seconds between snapshots; 0: one snapshot
};

int run_ports(const PortsArgs& a, bool quiet) {
  std::optional<ports::Destination> to;
  if (!a.to.empty()) {
    std::string err;
    to = ports::parse_destination(a.to, err);
    if (!to) throw std::invalid_argument(err);
  }
  auto targets = ports::open_netns_targets(a.netns);
  if (!targets) throw std::runtime_error(targets.error().message);
  // Ctrl-C ends --watch between two snapshots; blocked before the namespace threads exist
  std::optional<util::BlockedSignals> stop;
  if (a.watch > 0) stop.emplace(std::initializer_list<int>{SIGINT, SIGTERM});
  const auto t_load = std::chrono::steady_clock::now();
  auto reader = ports::PortReader::load();
  if (!reader) throw std::runtime_error(privileges_first(reader.error().message, " (sudo tristate ports …)"));
  spdlog::debug("ports: BPF object loaded in {:.1f} ms",
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t_load).count());
  auto snap = ports::take_ports(*reader.value(), targets.value(), to ? &*to : nullptr);
  if (!snap) throw std::runtime_error(snap.error().message);
  spdlog::debug("how: {}", snap.value().method);
  if (!a.json.empty()) return write_json(a.json, ports::ports_json(snap.value())) ? kExitOk : kExitError;
  if (!quiet) {
    print_method_notes(snap.value().method, snap.value().blind);
    std::cout << ports_text(snap.value()) << std::flush;
  }
  if (a.watch <= 0) return kExitOk;
  auto before = std::move(snap.value());
  const auto interval = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(a.watch));
  for (;;) {
    if (stop->wait(interval)) return kExitOk;  // SIGINT or SIGTERM
    auto next = ports::take_ports(*reader.value(), targets.value(), to ? &*to : nullptr);
    if (!next) throw std::runtime_error(next.error().message);
    if (!quiet) {
      const std::time_t now = std::time(nullptr);
      char stamp[16];
      std::strftime(stamp, sizeof stamp, "%H:%M:%S", std::gmtime(&now));
      for (const auto& n : next.value().namespaces) std::cout << stamp << " " << ports_verdict(n) << "\n";
      std::cout << ports_changes(before, next.value()) << std::flush;
      if (!std::cout) throw std::runtime_error(std::string("cannot write standard output (") + std::strerror(errno) + ")");
    }
    before = std::move(next.value());
  }
}

}  // namespace

void add_ports_command(CLI::App& app, Globals& g) {
  auto a = std::make_shared<PortsArgs>();
  auto* sub = app.add_subcommand(
      "ports",
      "Why connect() gets EADDRNOTAVAIL: which local ports a plain connect() can still get, and who holds the rest.\n"
      "Ports are free (no bucket), shareable (bucket -1/-1, made by connect()), blocked (a bucket\n"
      "bind() made: fastreuse or fastreuseport 0 or +1) or reserved. Needs BPF iterators only.");
  sub->footer(
      "Examples:\n"
      "  tristate ports                          the ephemeral range of this network namespace\n"
      "  tristate ports --dest 10.0.0.7:443      how many ports connect() to it can still get\n"
      "  tristate ports --netns all              every namespace a process or /run/netns holds\n"
      "  tristate ports --dest 10.0.0.7:443 --watch 5s   the verdict again every 5 s, and what changed");
  sub->add_option("--netns", a->netns,
                  "Which network namespace: a path (/run/netns/NAME, /proc/PID/ns/net), a pid, or 'all' "
                  "(default: the caller's)");
  sub->add_option("--dest", a->to, "Count for a plain connect() to this destination, ADDR:PORT ([ADDR6]:PORT)")
      ->type_name("ADDR:PORT")
      ->check(kNonEmpty);
  auto* json = sub->add_option("--json", a->json, "Write one JSON document (docs/ports.schema.json) to FILE ('-' is stdout)")
                   ->type_name("FILE")
                   ->expected(1)
                   ->check(kNonEmpty)
                   ->check(kOutputFile);
  using namespace std::chrono_literals;
  sub->add_option("--watch", a->watch, "Take a snapshot again every DURATION (10s, 500ms; a plain number is seconds) "
                                       "and print the verdict and what changed, until Ctrl-C")
      ->type_name("DURATION")
      ->transform(duration_in(1s, 100ms, 24h, false))
      ->excludes(json);
  add_quiet_flag(*sub, g, "only the exit status (0: the ports could be read)");
  sub->callback([a, &g] { g.exit_code = run_ports(*a, g.quiet); });
}

}  // namespace tristate::cli
