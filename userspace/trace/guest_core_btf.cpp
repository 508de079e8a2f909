#include "trace/guest_core_btf.hpp"

#include <bpf/btf.h>

#include "snapshot.skel.h"
#include "trace/core_btf_cache.hpp"
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

  std::size_t elf_size = 0;
  const void* elf = snapshot_bpf__elf_bytes(&elf_size);
  const std::string_view object(static_cast<const char*>(elf), elf_size);
  const std::string snapshot = core_btf_file_name(key, object, "snapshot");
  if (!have(snapshot))
    if (const std::string bytes = minimal_core_btf_from(object, kernel_btf.string()); !bytes.empty())
      (void)util::write_file_atomic(dir / snapshot, bytes);
  if (have(snapshot)) made.push_back(snapshot);

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
