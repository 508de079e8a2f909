#include "trace/guest_core_btf.hpp"

#include <bpf/btf.h>

#include "snapshot.skel.h"
#include "tristate.skel.h"
#include "trace/attach_plan.hpp"
#include "trace/core_btf_cache.hpp"
#include "trace/kernel_functions.hpp"
#include "trace/step_snapshot.hpp"
#include "util/atomic_file.hpp"

namespace fs = std::filesystem;

namespace tristate::trace {

std::vector<std::string> make_guest_core_btf(const fs::path& kernel_btf, std::string_view notes, const fs::path& dir) {
  std::vector<std::string> made;
  const std::string id = build_id_from_notes(notes);
  std::error_code ec;
  const auto size = fs::file_size(kernel_btf, ec);
  if (id.empty() || ec) return made;
  const std::string key = id + "-" + std::to_string(size);
  auto have = [&](const std::string& name) { return fs::is_regular_file(dir / name, ec) && fs::file_size(dir / name, ec) > 0; };

  auto minimal = [&](const void* elf, std::size_t elf_size, const char* name) {
    const std::string_view object(static_cast<const char*>(elf), elf_size);
    const std::string file = core_btf_file_name(key, object, name);
    if (!have(file))
      if (const std::string bytes = minimal_core_btf_from(object, kernel_btf.string()); !bytes.empty())
        (void)util::write_file_atomic(dir / file, bytes);
    if (have(file)) made.push_back(file);
  };
  std::size_t size_snapshot = 0, size_tracer = 0;
  const void* elf_snapshot = snapshot_bpf__elf_bytes(&size_snapshot);
  const void* elf_tracer = tristate_bpf__elf_bytes(&size_tracer);
  minimal(elf_snapshot, size_snapshot, "snapshot");
  minimal(elf_tracer, size_tracer, "tracer");

  const std::string functions = functions_file_name(key);
  if (!have(functions)) {
    try {
      const LiveKernel k(kernel_btf.string());
      (void)util::write_file_atomic(dir / functions, functions_text(k, traced_functions()));
    } catch (const std::exception&) {  // an unreadable BTF: the guest reads its own
    }
  }
  if (have(functions)) made.push_back(functions);

  const std::string ids = func_ids_file_name(key);
  if (!have(ids)) {
    if (btf* b = btf__parse_raw(kernel_btf.c_str())) {
      std::string text;
      const auto names = snapshot_iterator_functions();
      if (func_ids_in(b, names, &text).size() == names.size()) (void)util::write_file_atomic(dir / ids, text);
      btf__free(b);
    }
  }
  if (have(ids)) made.push_back(ids);
  return made;
}

}  // namespace tristate::trace
