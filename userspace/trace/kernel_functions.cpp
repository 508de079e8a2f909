#include "trace/kernel_functions.hpp"

#include <bpf/bpf.h>

#include <cerrno>
#include <charconv>

#include "trace/core_btf_cache.hpp"
#include "util/input_file.hpp"

namespace tristate::trace {
namespace {

std::vector<std::string_view> split_tabs(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t tab = line.find('\t', start);
    out.push_back(line.substr(start, tab == std::string_view::npos ? std::string_view::npos : tab - start));
    if (tab == std::string_view::npos) return out;
    start = tab + 1;
  }
}

}  // namespace

std::string functions_text(const LiveKernel& kernel, const std::vector<std::string>& names) {
  std::string text;
  for (const auto& n : names) {
    const int id = kernel.func_id(n);
    const auto proto = id > 0 ? kernel.prototype(n) : std::nullopt;
    text += n + "\t" + std::to_string(proto ? id : 0);
    if (proto)
      for (std::size_t i = 0; i < proto->param_types.size(); ++i)
        text += "\t" + proto->param_names[i] + "\t" + proto->param_types[i];
    text += "\n";
  }
  return text;
}

std::string functions_file_name(std::string_view kernel_key) { return std::string(kernel_key) + "-functions.txt"; }

std::unique_ptr<CachedKernel> CachedKernel::parse(std::string_view text, const std::vector<std::string>& names) {
  std::unique_ptr<CachedKernel> k(new CachedKernel);
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (line.empty()) continue;
    const auto fields = split_tabs(line);
    Function f;
    const auto id = fields.size() >= 2 ? fields[1] : std::string_view();
    if (fields.size() % 2 != 0 || fields[0].empty() ||
        std::from_chars(id.data(), id.data() + id.size(), f.id).ec != std::errc() || f.id < 0)
      return nullptr;
    for (std::size_t i = 2; i + 1 < fields.size(); i += 2) {
      f.prototype.param_names.emplace_back(fields[i]);
      f.prototype.param_types.emplace_back(fields[i + 1]);
    }
    k->functions_[std::string(fields[0])] = std::move(f);
  }
  for (const auto& n : names)
    if (!k->functions_.count(n)) return nullptr;
  return k;
}

std::unique_ptr<CachedKernel> CachedKernel::from_cache(const std::vector<std::string>& names) {
  const std::string key = running_kernel_key();
  const std::string path = key.empty() ? "" : core_btf_cache_path(functions_file_name(key));
  if (path.empty()) return nullptr;
  auto text = util::read_bounded(path, 64 * 1024);
  return text ? parse(text.value(), names) : nullptr;
}

std::optional<Prototype> CachedKernel::prototype(const std::string& function) const {
  const auto it = functions_.find(function);
  if (it == functions_.end() || it->second.id == 0) return std::nullopt;
  return it->second.prototype;
}

int CachedKernel::func_id(const std::string& function) const {
  const auto it = functions_.find(function);
  return it == functions_.end() || it->second.id == 0 ? -ENOENT : it->second.id;
}

int CachedKernel::try_fentry(const std::string& function) const {
  const int id = func_id(function);
  return id < 0 ? id : try_tracing_load(id, BPF_TRACE_FENTRY);
}

}  // namespace tristate::trace
