// `tristate kernels`: the lab's kernel cache (list, fetch, prune) and `kernels boot`, which
// boots one kernel with the running tristate in a busybox initramfs and runs a command —
// the way to try anything inside a guest (the tracer's tests use it).
#include <spdlog/spdlog.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "cli/command_boundary.hpp"
#include "cli/commands.hpp"
#include "cli/text_output.hpp"
#include "cli/option_checks.hpp"
#include "lab/cache.hpp"
#include "lab/catalog.hpp"
#include "lab/guest.hpp"
#include "lab/serial_decoder.hpp"
#include "lab/kernel_history.hpp"
#include "lab/kernel_spec.hpp"
#include "report/schemas.hpp"
#include <nlohmann/json.hpp>
#include <unistd.h>

namespace tristate::cli {
namespace {

std::string human_size(std::uint64_t bytes) {
  char buf[32];
  if (bytes >= 1024 * 1024) std::snprintf(buf, sizeof buf, "%.1f MiB", double(bytes) / (1024 * 1024));
  else std::snprintf(buf, sizeof buf, "%.1f KiB", double(bytes) / 1024);
  return buf;
}

lab::Progress progress_printer() {
  return [](const std::string& line) { spdlog::info("{}", line); };
}

int list(const lab::Cache& cache) {
  auto cached = cache.list();
  std::cout << "cache: " << cache.root().string() << "\n\n";
  std::cout << "series  source                                cached\n";
  for (auto& s : lab::known_series()) {
    std::string what = "-";
    for (auto& k : cached)
      if (k.manifest.series == s.name && lab::serves_series(k.manifest)) {
        what = k.manifest.package + " " + k.manifest.version + " (" + k.manifest.release + ", " +
               human_size(k.manifest.size) + ")";
        break;
      }
    std::printf("%-7s %-37s %s\n", s.name.c_str(), s.note.c_str(), what.c_str());
  }
  std::fflush(stdout);
  if (!cached.empty()) {
    std::cout << "\nall cached kernels:\n";
    for (auto& k : cached) {
      // the entry on disk: vmlinuz plus, for zstd kernels, the ELF that boots faster
      const bool elf = std::filesystem::exists(k.vmlinuz.parent_path() / "vmlinux.pvh");
      std::cout << "  " << k.manifest.package << " " << k.manifest.version << "  "
                << human_size(lab::Cache::disk_usage(k.vmlinuz.parent_path())) << "  " << k.vmlinuz.string()
                << (elf ? " (+ vmlinux.pvh)" : "") << "\n";
    }
  }
  std::cout << "\ndisk used: " << human_size(lab::Cache::disk_usage(cache.root())) << "\n";
  return kExitOk;
}

// Every cloud kernel build of the machine's mirror, oldest first, and whether it is cached.
int available(const lab::Cache& cache, const std::string& json, bool refresh) {
  const auto builds = lab::available_builds(cache, progress_printer(), refresh);
  auto cached = [&](const lab::KernelBuild& b) {
    return std::filesystem::exists(cache.kernel_dir(b.package) / "manifest.json");
  };
  if (!json.empty()) {
    nlohmann::json j{{"schema", report::kKernelsSchema}, {"kernels", nlohmann::json::array()}};
    for (auto& b : builds)
      j["kernels"].push_back({{"version", b.upstream}, {"series", b.minor}, {"suites", b.suites}, {"package", b.package},
                   {"package_version", b.version}, {"cached", cached(b)}});
    return write_json(json, j) ? kExitOk : kExitError;
  } else {
    std::printf("%-10s %-7s %-28s %-6s %s\n", "version", "series", "suite", "cached", "package");
    for (auto& b : builds) {
      std::string suites;
      for (auto& s : b.suites) suites += (suites.empty() ? "" : ",") + s;
      std::printf("%-10s %-7s %-28s %-6s %s\n", b.upstream.c_str(), b.minor.c_str(), suites.c_str(),
                  cached(b) ? "yes" : "-", b.package.c_str());
    }
    std::printf("%zu builds; --kernel VERSION (e.g. %s) or a minor (newest build of it)\n", builds.size(),
                builds.empty() ? "6.17.8" : builds.back().upstream.c_str());
  }
  std::fflush(stdout);
  return std::ferror(stdout) ? kExitError : kExitOk;
}

struct PruneOptions {
  std::vector<std::string> what;  // packages, versions (6.17.8) or minors (6.16)
  int keep = -1;                  // keep the N most recently used kernels
  bool yes = false;
};

// On a terminal a whole-cache prune asks first; elsewhere (scripts, CI) it asks nothing.
bool confirm(const std::string& question) {
  if (!isatty(STDIN_FILENO) || !isatty(STDERR_FILENO)) return true;
  std::cerr << question << " [y/N] " << std::flush;
  std::string answer;
  std::getline(std::cin, answer);
  return answer == "y" || answer == "Y" || answer == "yes";
}

int prune(const lab::Cache& cache, const PruneOptions& o) {
  if (o.what.empty() && o.keep < 0) {
    const auto bytes = lab::Cache::disk_usage(cache.root());
    if (!o.yes && !confirm("remove " + cache.root().string() + " (" + human_size(bytes) + ": kernels, apt lists, initramfs images)?")) {
      std::cout << "nothing removed\n";
      return kExitOk;
    }
    cache.prune();
    std::cout << "removed " << cache.root().string() << " (" << human_size(bytes) << ")\n";
    return kExitOk;
  }
  const auto kernels = cache.by_last_use();
  std::vector<lab::Kernel> doomed;
  int rc = kExitOk;
  if (o.keep >= 0)
    for (std::size_t i = std::size_t(o.keep); i < kernels.size(); ++i) doomed.push_back(kernels[i]);
  for (auto& w : o.what) {
    bool hit = false;
    for (auto& k : kernels) {
      const std::string up = lab::upstream_of(k.manifest.version);
      if (k.manifest.package == w || up == w || (lab::minor_of(up) == w && !up.empty())) {
        hit = true;
        if (std::none_of(doomed.begin(), doomed.end(), [&](auto& d) { return d.vmlinuz == k.vmlinuz; }))
          doomed.push_back(k);
      }
    }
    if (!hit) {
      spdlog::error("no cached kernel matches '{}' (`tristate kernels list` shows them)", w);
      rc = kExitError;
    }
  }
  std::uint64_t freed = 0;
  for (auto& k : doomed) {
    const auto e = cache.remove_kernel(k);
    freed += e.bytes;
    std::cout << "removed " << e.package << " (" << human_size(e.bytes) << ")\n";
  }
  std::cout << doomed.size() << " kernels removed, " << human_size(freed) << " freed\n";
  return rc;
}

int fetch(const lab::Cache& cache, const std::vector<std::string>& specs) {
  int rc = kExitOk;
  for (auto& text : specs) {
    // one spec that cannot be had is its own error line; the others are still fetched
    try {
      auto spec = lab::parse_kernel_spec(text);
      lab::Kernel k;
      if (spec.kind == lab::KernelSpec::Kind::Series) k = lab::fetch_series(spec.value, cache, progress_printer());
      else if (spec.kind == lab::KernelSpec::Kind::Package || spec.kind == lab::KernelSpec::Kind::Version)
        k = lab::resolve_kernel(spec, cache, progress_printer());
      else
        throw std::invalid_argument("`kernels fetch` takes series or package names, not '" + text + "'");
      std::cout << text << ": " << k.manifest.package << " " << k.manifest.version << " ("
                << k.manifest.release << ") " << k.vmlinuz.string() << "\n";
    } catch (const std::exception& e) {
      spdlog::error("{}: {}", text, describe_error(e));
      rc = kExitError;
    }
  }
  return rc;
}

// The built-in quizzes as guest files under /usr/share/tristate/quizzes, so that
// `kernels boot SPEC -- tristate quiz post-3` works as on the host. None when the directory
// is missing: a command that needs no quiz must still boot.
std::vector<lab::GuestFile> builtin_quizzes(const std::string& quiz_dir) {
  std::vector<lab::GuestFile> files;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(quiz_dir, ec))
    if (e.path().extension() == ".quiz" && e.is_regular_file(ec))
      files.push_back({e.path().string(), "/usr/share/tristate/quizzes/" + e.path().filename().string()});
  return files;
}

struct BootOptions {
  std::string spec;
  std::vector<std::string> argv;
  std::vector<std::string> files;  // HOST[:GUEST]
  std::vector<std::string> exes;
  std::string result = "/tmp/result";
  std::string init_file;
  int timeout_s = 120;
  int cpus = 1;
  int icount = -1;
  bool console = false;
  bool no_self = false;
};

// What `kernels boot` ships and runs: this tristate and the built-in quizzes (unless
// --no-self), --exe and --file, and --init instead of the generated /init.
lab::GuestRequest boot_request(const BootOptions& o, const Globals& g) {
  lab::GuestRequest req;
  req.argv = o.argv;
  if (req.argv.empty()) req.argv = {"uname", "-a"};
  req.result_path = o.result;
  if (!o.no_self) {
    req.executables.push_back(g.self_exe);
    // The guest's /usr/bin/tristate finds its quizzes where an installed one does.
    for (const auto& q : builtin_quizzes(g.quiz_dir)) req.files.push_back(q);
  }
  for (auto& e : o.exes) req.executables.push_back(e);
  for (auto& f : o.files) {
    auto colon = f.find(':');
    std::string host = colon == std::string::npos ? f : f.substr(0, colon);
    std::string guest = colon == std::string::npos ? "/data/" + std::filesystem::path(f).filename().string()
                                                   : f.substr(colon + 1);
    req.files.push_back({host, guest});
  }
  if (!o.init_file.empty()) {
    std::ifstream in(o.init_file);
    if (!in) throw std::runtime_error(o.init_file + ": cannot read the init script");
    std::stringstream ss;
    ss << in.rdbuf();
    req.init_override = ss.str();
  }
  req.timeout = std::chrono::seconds(o.timeout_s);
  req.cpus = o.cpus;
  req.icount_shift = o.icount;
  req.progress = progress_printer();
  req.label = o.spec;
  if (o.console) req.on_console = [](const std::string& l) { std::cerr << "console| " << l << "\n"; };
  return req;
}

int boot(const lab::Cache& cache, const BootOptions& o, const Globals& g) {
  auto spec = lab::parse_kernel_spec(o.spec);
  if (spec.kind == lab::KernelSpec::Kind::Host)
    throw std::invalid_argument("`kernels boot` needs a guest kernel, not 'host'");
  auto kernel = lab::resolve_kernel(spec, cache, progress_printer());
  auto r = lab::run_guest(kernel, boot_request(o, g), cache);
  // The result file when the command made one (how tristate's own guests report), else
  // what the command printed: `kernels boot 6.12 -- uname -r` shows the release.
  if (r.has_payload) {
    std::cout << r.payload << std::flush;
  } else {
    std::cout << r.command_output << std::flush;
    if (r.command_output_truncated)
      spdlog::warn("the command's output was cut at {} MiB", lab::SerialDecoder::kCommandOutputMax >> 20);
  }
  spdlog::info("{}: exit status {}, boot {:.2f} s, run {:.2f} s, total {:.2f} s", r.release,
               r.exit_status, r.boot_s, r.run_s, r.total_s);
  return r.exit_status;
}

// `kernels boot`: the guest's command, what is shipped into it and how it is run.
CLI::App* add_boot_subcommand(CLI::App& sub, BootOptions& bo) {
  auto* bt = sub.add_subcommand(
      "boot",
      "Boot SPEC with this tristate (at /usr/bin/tristate) in a busybox initramfs, run\n"
      "ARGV (default: uname -a), print the guest file --result (default /tmp/result) on\n"
      "stdout, or what ARGV printed when it made no such file; exit with the command's\n"
      "status. Examples:\n"
      "  tristate kernels boot 6.12 -- tristate doctor\n"
      "  tristate kernels boot 6.12 --file q.quiz -- tristate quiz --json /tmp/result /data/q.quiz");
  bt->add_option("spec", bo.spec, "Series, package name or vmlinuz path")->required();
  bt->add_option("argv", bo.argv, "Command run in the guest (after --)");
  bt->add_option("--file", bo.files, "HOST[:GUEST] file to ship (default guest dir /data/)")->allow_extra_args(false);
  bt->add_option("--exe", bo.exes, "Extra host executable shipped to /usr/bin with its libraries")->allow_extra_args(false);
  bt->add_option("--result", bo.result, "Guest file sent back and printed on stdout");
  bt->add_option("--init", bo.init_file, "Use this file as /init instead of the generated one");
  using namespace std::chrono_literals;
  bt->add_option("--timeout", bo.timeout_s,
                 "Time before the guest is killed: 2m, 90s, ... (a plain number is seconds)")
      ->default_str("120s")
      ->type_name("DURATION")
      ->transform(duration_in(1s, 1s, 24h));
  bt->add_option("--cpus", bo.cpus, "Virtual CPUs of the guest")->default_val(1)->check(CLI::Range(1, 64));
  bt->add_option("--icount", bo.icount,
                 "TCG: guest time advances 2^N ns per instruction, for benchmarks whose rates\n"
                 "must not depend on the host's load (qemu -icount shift=N)")
      ->check(CLI::Range(0, 10));
  bt->add_flag("--console", bo.console, "Echo the guest console on stderr");
  bt->add_flag("--no-self", bo.no_self, "Do not ship the running tristate");
  return bt;
}

}  // namespace

void add_kernels_command(CLI::App& app, Globals& g) {
  auto* sub = app.add_subcommand(
      "kernels",
      "Debian kernels for lab guests (--kernel SPEC): list the known series and what is\n"
      "cached, fetch ahead of time, prune the cache.");
  sub->require_subcommand(0, 1);
  add_quiet_flag(*sub, g, "no download or boot progress");

  auto* ls = sub->add_subcommand("list", "Known series, cached kernels and the cache path (default)");
  auto specs = std::make_shared<std::vector<std::string>>();
  auto* fe = sub->add_subcommand("fetch", "Download the newest kernel of each SERIES (or a package) now");
  fe->add_option("series", *specs, "5.10, 6.1, 6.12, latest, a version (6.17.8) or minor (6.16), or linux-image-…/linux-binary-… packages")
      ->required();
  auto* av = sub->add_subcommand(
      "available", "Every cloud kernel build the machine's Debian mirror offers, with suite and series");
  auto av_json = std::make_shared<std::string>();
  auto av_refresh = std::make_shared<bool>(false);
  // as in doctor and state: `--json` alone is stdout
  auto* av_json_opt = av->add_option("--json", *av_json, "Write one JSON array to FILE (- or no FILE = stdout)")
                          ->type_name("FILE")
                          ->expected(0, 1)
                          ->check(kOutputFile);
  av->add_flag("--refresh", *av_refresh, "Update the package lists first (else at most daily)");
  auto* pr = sub->add_subcommand(
      "prune",
      "Remove cached kernels: those named (package, version 6.17.8 or minor 6.16), all but the\n"
      "--keep N most recently used, or with neither the whole cache (kernels, apt lists,\n"
      "initramfs images; asks first on a terminal, never elsewhere)");
  auto po = std::make_shared<PruneOptions>();
  pr->add_option("what", po->what, "Packages, versions or minors to remove");
  pr->add_option("--keep", po->keep, "Keep the N most recently used kernels, remove the rest")->check(CLI::Range(0, 100000));
  pr->add_flag("-y,--yes", po->yes, "Do not ask on a terminal");

  auto bo = std::make_shared<BootOptions>();
  auto* bt = add_boot_subcommand(*sub, *bo);

  auto cache_max = std::make_shared<std::string>();
  for (auto* c : {fe, bt})
    c->add_option("--cache-max", *cache_max,
                  "Cache size bound (e.g. 4G, 500M; default 4G or $TRISTATE_CACHE_MAX): least recently\n"
                  "used kernels are removed after a download to stay under it");
  auto run = [&g, cache_max](auto fn) {
    auto cache = lab::Cache::from_environment();
    if (!cache_max->empty()) {
      auto b = lab::parse_size(*cache_max);
      if (!b) throw std::invalid_argument("--cache-max '" + *cache_max + "' is not a size (e.g. 4G, 500M)");
      cache.set_max_bytes(*b);
    }
    g.exit_code = fn(cache);
  };
  sub->callback([sub, ls, run] {
    if (sub->get_subcommands().empty()) run([](const lab::Cache& c) { return list(c); });
    (void)ls;
  });
  ls->callback([run] { run([](const lab::Cache& c) { return list(c); }); });
  av->callback([run, av_json, av_json_opt, av_refresh] {
    if (av_json_opt->count() > 0 && av_json->empty()) *av_json = "-";
    run([av_json, av_refresh](const lab::Cache& c) { return available(c, *av_json, *av_refresh); });
  });
  fe->callback([run, specs] { run([specs](const lab::Cache& c) { return fetch(c, *specs); }); });
  pr->callback([run, po] { run([po](const lab::Cache& c) { return prune(c, *po); }); });
  bt->callback([run, bo, &g] { run([bo, &g](const lab::Cache& c) { return boot(c, *bo, g); }); });
}

}  // namespace tristate::cli
