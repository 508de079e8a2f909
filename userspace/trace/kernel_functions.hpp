// The traced functions' prototypes and BTF ids as one kernel's BTF gives them, kept as a small
// text file in the BTF cache (<cache>/btf/<kernel key>-functions.txt): all the attach plan and
// the fentry sections need from that BTF. A lab guest finds it made by the host and plans its
// probes without parsing its kernel's ~5 MB BTF (~35 ms under TCG, before any lookup).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "trace/kernel_btf.hpp"

namespace tristate::trace {

// One line per function: "<function>\t<id>", then "\t<name>\t<type>" per parameter; id 0 for
// a function the BTF lacks.
std::string functions_text(const LiveKernel& kernel, const std::vector<std::string>& names);

std::string functions_file_name(std::string_view kernel_key);

// A KernelAccess answering from such a text; try_fentry asks the running kernel with its ids.
class CachedKernel final : public KernelAccess {
 public:
  // nullptr when a line is malformed or one of `names` is not described.
  static std::unique_ptr<CachedKernel> parse(std::string_view text, const std::vector<std::string>& names);
  // The running kernel's file from the cache; nullptr when there is none (or it lacks a name).
  static std::unique_ptr<CachedKernel> from_cache(const std::vector<std::string>& names);

  std::optional<Prototype> prototype(const std::string& function) const override;
  int try_fentry(const std::string& function) const override;
  int func_id(const std::string& function) const override;

 private:
  struct Function {
    int id = 0;
    Prototype prototype;
  };
  std::map<std::string, Function> functions_;
};

}  // namespace tristate::trace
