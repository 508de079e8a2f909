// The traced functions' prototypes and BTF ids as a cache file (trace/kernel_functions), and the
// files the host makes for a guest's kernel under the names that kernel's tristate looks up
// (trace/guest_core_btf), checked against the running kernel's own BTF.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "trace/attach_plan.hpp"
#include "trace/core_btf_cache.hpp"
#include "trace/guest_core_btf.hpp"
#include "trace/kernel_functions.hpp"

namespace fs = std::filesystem;
using namespace tristate::trace;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool have_kernel_btf() { return ::access("/sys/kernel/btf/vmlinux", R_OK) == 0; }

}  // namespace

TEST(KernelFunctions, ParsesPrototypesIdsAndAbsentFunctions) {
  const auto k = CachedKernel::parse(
      "inet_put_port\t81911\tsk\tstruct sock *\n"
      "inet_bind2_bucket_create\t0\n"
      "inet_csk_update_fastreuse\t55795\ttb\tstruct inet_bind_bucket *\t\tstruct sock *\n",
      {"inet_put_port", "inet_bind2_bucket_create"});
  ASSERT_TRUE(k);
  EXPECT_EQ(k->func_id("inet_put_port"), 81911);
  const auto p = k->prototype("inet_csk_update_fastreuse");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->param_types, (std::vector<std::string>{"struct inet_bind_bucket *", "struct sock *"}));
  EXPECT_EQ(p->param_names, (std::vector<std::string>{"tb", ""}));  // an unnamed parameter stays one
  EXPECT_FALSE(k->prototype("inet_bind2_bucket_create"));             // not in that kernel's BTF
  EXPECT_EQ(k->func_id("inet_bind2_bucket_create"), -ENOENT);
  EXPECT_EQ(k->func_id("not_described"), -ENOENT);
}

TEST(KernelFunctions, RefusesMalformedTextOrAMissingFunction) {
  EXPECT_FALSE(CachedKernel::parse("inet_put_port\t12\n", {"inet_put_port", "__inet_inherit_port"}));
  EXPECT_FALSE(CachedKernel::parse("inet_put_port\tx12\n", {"inet_put_port"}));
  EXPECT_FALSE(CachedKernel::parse("inet_put_port\t12\tsk\n", {"inet_put_port"}));  // a name without type
  EXPECT_FALSE(CachedKernel::parse("inet_put_port\t-3\n", {"inet_put_port"}));
  EXPECT_FALSE(CachedKernel::parse("", {"inet_put_port"}));
}

// Planned from the file, a kernel looks exactly as planned from its BTF.
TEST(KernelFunctions, RoundTripOfTheRunningKernelsBtf) {
  if (!have_kernel_btf()) GTEST_SKIP() << "no /sys/kernel/btf/vmlinux on this machine";
  const LiveKernel live;
  const auto names = traced_functions();
  const auto cached = CachedKernel::parse(functions_text(live, names), names);
  ASSERT_TRUE(cached);
  int found = 0;
  for (const auto& f : names) {
    EXPECT_EQ(cached->func_id(f), live.func_id(f)) << f;
    const auto a = live.prototype(f), b = cached->prototype(f);
    ASSERT_EQ(a.has_value(), b.has_value()) << f;
    if (!a) continue;
    ++found;
    EXPECT_EQ(a->param_types, b->param_types) << f;
    EXPECT_EQ(a->param_names, b->param_names) << f;
  }
  EXPECT_GE(found, 6);  // every kernel with BTF has the bhash functions
}

// The host names what it makes for a guest's kernel from that kernel's BTF and notes; made from
// the running kernel's own, the names are the ones this tristate looks up.
TEST(GuestCoreBtf, NamesAreTheOnesTheKernelsOwnTristateLooksUp) {
  if (!have_kernel_btf()) GTEST_SKIP() << "no /sys/kernel/btf/vmlinux on this machine";
  const std::string key = running_kernel_key();
  if (key.empty()) GTEST_SKIP() << "the running kernel has no build id";
  char tmpl[] = "/tmp/tristate-guest-btf-XXXXXX";
  const fs::path dir = ::mkdtemp(tmpl);
  const std::string notes = slurp("/sys/kernel/notes");
  const auto made = make_guest_core_btf("/sys/kernel/btf/vmlinux", notes, dir);
  bool functions = false, ids = false;
  for (const auto& name : made) {
    EXPECT_EQ(name.rfind(key + "-", 0), 0u) << name;
    EXPECT_GT(fs::file_size(dir / name), 0u) << name;
    functions |= name == functions_file_name(key);
    ids |= name == func_ids_file_name(key);
  }
  EXPECT_TRUE(functions);
  EXPECT_TRUE(ids);
  EXPECT_TRUE(CachedKernel::parse(slurp(dir / functions_file_name(key)), traced_functions()));
  // made once: a second call finds the same files
  EXPECT_EQ(make_guest_core_btf("/sys/kernel/btf/vmlinux", notes, dir), made);
  // no build id, nothing made
  EXPECT_TRUE(make_guest_core_btf("/sys/kernel/btf/vmlinux", "", dir / "none").empty());
  std::error_code ec;
  fs::remove_all(dir, ec);
}
