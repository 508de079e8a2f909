// `tristate doctor`: what this machine lets tristate trace, and which mode a trace would use.
#include <nlohmann/json.hpp>

#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "cli/option_checks.hpp"
#include "cli/text_output.hpp"
#include "lab/accel.hpp"
#include "lab/process.hpp"
#include "report/schemas.hpp"
#include "trace/capabilities.hpp"
#include "trace/step_snapshot.hpp"

namespace tristate::cli {
namespace {

struct DoctorOptions {
  std::string json;  // --json [FILE]: "-" (stdout) when given without a file
};

// Whether `--kernel` guests can boot here, and under which accelerator: where this machine
// cannot trace, they are how it traces.
trace::Check lab_check() {
  if (!lab::have_program("qemu-system-x86_64"))
    return {"lab guests", false, "qemu-system-x86_64 not found: apt-get install qemu-system-x86"};
  try {
    const auto accel = lab::choose_accel();
    std::string detail = accel.kvm ? "qemu with KVM" : "qemu with TCG, software emulation";
    if (!accel.why.empty()) detail += "; " + accel.why;
    return {"lab guests", true, detail};
  } catch (const std::invalid_argument& e) {
    return {"lab guests", false, e.what()};
  }
}

// Whether the BPF iterators load: they are what `state`, `ports` and the bucket state after
// every quiz step read, and they work on kernels that refuse tracing (this project's hosts),
// which doctor did not say: its answer there was only "trace mode: none".
trace::Check iterators_check() {
  auto loaded = trace::StepSnapshotter::load();
  if (!loaded) return {"iterators", false, loaded.error().message};
  return {"iterators", true,
          std::string(trace::snapshot_method_name(loaded.value()->method())) +
              ": `state`, `ports` and the bucket state after each quiz step work here, traced or not"};
}

int run(const DoctorOptions& o, const Globals& g) {
  auto caps = trace::probe_capabilities();
  caps.checks.push_back(iterators_check());
  caps.checks.push_back(lab_check());
  if (g.quiet) return caps.mode == report::TraceMode::none ? kExitMismatch : kExitOk;  // like grep -q
  if (!o.json.empty()) {
    nlohmann::json j;
    j["schema"] = report::kDoctorSchema;
    j["kernel_release"] = caps.kernel_release;
    j["mode"] = report::name(caps.mode);
    j["mode_reason"] = caps.mode_reason;
    j["checks"] = nlohmann::json::array();
    for (const auto& c : caps.checks) j["checks"].push_back({{"name", c.name}, {"ok", c.ok}, {"detail", c.detail}});
    if (!write_json(o.json, j)) return kExitError;
  } else {
    for (const auto& c : caps.checks) {
      if (c.name == "kernel")
        std::cout << "kernel: " << c.detail << "\n";
      else
        std::cout << c.name << ": " << (c.ok ? "yes" : "no") << " (" << c.detail << ")\n";
    }
    std::cout << "trace mode: " << report::name(caps.mode) << " (" << caps.mode_reason << ")\n";
  }
  // the report is the answer; a machine that cannot trace is not an error of the command
  return kExitOk;
}

}  // namespace

void add_doctor_command(CLI::App& app, Globals& g) {
  auto o = std::make_shared<DoctorOptions>();
  auto* sub = app.add_subcommand("doctor", "What this machine lets tristate trace (BTF, fentry, kprobes, privileges)");
  // The value is optional (`doctor --json` = stdout, as before FILE existed); no `-- CMD`
  // follows here, so CLI11's optional values are safe.
  auto* json = sub->add_option("--json", o->json, "Write a JSON object to FILE (- or no FILE = stdout) instead of text lines")
                   ->type_name("FILE")
                   ->expected(0, 1)
                   ->check(kOutputFile);
  add_quiet_flag(*sub, g, "exit 0 when this kernel can be traced, 1 when not");
  sub->callback([o, json, &g] {
    if (json->count() > 0 && o->json.empty()) o->json = "-";
    g.exit_code = run(*o, g);
  });
}

}  // namespace tristate::cli
