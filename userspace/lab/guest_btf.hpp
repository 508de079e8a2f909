// What a lab guest's tristate would compute from its kernel's BTF (a minimal BTF per BPF object
// for CO-RE, BTF ids of functions), made once per kernel on the host and shipped in the
// initramfs. Why: every guest boots a fresh root, so each one read and parsed its kernel's
// whole BTF (~5 MB, ~100,000 types) again, several times, under emulation.
//
// The lab only finds the kernel's BTF and notes in the cached image; what is made from them is
// the caller's (the tracer's cache naming lives in trace/, which the lab does not link). A
// guest uses a shipped file only when its name (the kernel's build id and BTF size) matches
// the kernel it runs, and computes as before otherwise.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "lab/guest.hpp"

namespace tristate::lab {

// The guest's cache directory for them: tristate's cache under the HOME the /init exports.
inline constexpr const char* kGuestBtfDir = "/root/.cache/tristate/btf";

// A kernel's BTF (the bytes its /sys/kernel/btf/vmlinux shows) and the contents of its
// /sys/kernel/notes, extracted from the cached image once (<entry>/vmlinux.btf, .notes).
struct GuestKernelBtf {
  std::filesystem::path btf;
  std::string notes;
};

// nullopt (and `why`) for a kernel the lab did not download (a vmlinuz the user named: nothing
// is written next to it), an image whose payload cannot be decompressed here, or an ELF
// without .BTF or .notes.
std::optional<GuestKernelBtf> guest_kernel_btf(const Kernel& kernel, std::string* why = nullptr);

// Makes, into `dir`, the files a tristate on that kernel would otherwise make; returns their
// names (files of `dir`), none when it cannot.
using GuestBtfMaker = std::function<std::vector<std::string>(const GuestKernelBtf&, const std::filesystem::path& dir)>;

// Ships, in every job's initramfs, the files `make` makes for every job's kernel (all of
// them in each: the jobs then still share one image, and a guest finds its own by name).
// Made under <entry>/guest-btf/, once per kernel. A kernel for which nothing can be made is
// skipped: its guest computes what it needs as before.
void add_guest_btf(std::vector<GuestJob>& jobs, const GuestBtfMaker& make);

}  // namespace tristate::lab
