// Attach planning against fake kernels shaped like 5.10, 6.1, 6.12 and 6.18 (prototypes read
// from those kernels' BTF), and the check that every planned program exists in the object.
#include <gtest/gtest.h>

#include <bpf/libbpf.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <set>

#include "trace/attach_plan.hpp"
#include "tristate.skel.h"

using namespace tristate::trace;

namespace {

class FakeKernel : public KernelAccess {
 public:
  std::map<std::string, Prototype> protos;
  int fentry_err = 0;
  mutable std::vector<std::string> fentry_tried;

  std::optional<Prototype> prototype(const std::string& f) const override {
    auto it = protos.find(f);
    if (it == protos.end()) return std::nullopt;
    return it->second;
  }
  int try_fentry(const std::string& f) const override {
    fentry_tried.push_back(f);
    return fentry_err;
  }
};

Prototype P(std::vector<std::string> types) {
  Prototype p;
  for (size_t i = 0; i < types.size(); ++i) p.param_names.push_back("a" + std::to_string(i));
  p.param_types = std::move(types);
  return p;
}

const std::string SK = "struct sock *", TB = "struct inet_bind_bucket *", TB2 = "struct inet_bind2_bucket *",
                  CACHE = "struct kmem_cache *", NET = "struct net *", HEAD = "struct inet_bind_hashbucket *",
                  DR = "struct inet_timewait_death_row *";

FakeKernel kernel(const std::string& series) {
  FakeKernel k;
  k.protos["inet_csk_get_port"] = P({SK, "short unsigned int"});
  k.protos["inet_bind_bucket_create"] = P({CACHE, NET, HEAD, "short unsigned int", "int"});
  k.protos["inet_put_port"] = P({SK});
  if (series == "5.10") {
    k.protos["__inet_hash_connect"] = P({DR, SK, "u32", "fn *"});
    k.protos["inet_csk_update_fastreuse"] = P({TB, SK});
    k.protos["inet_bind_bucket_destroy"] = P({CACHE, TB});
    return k;
  }
  k.protos["inet_bind2_bucket_destroy"] = P({CACHE, TB2});
  if (series == "6.1") {
    k.protos["__inet_hash_connect"] = P({DR, SK, "u64", "fn *"});
    k.protos["inet_csk_update_fastreuse"] = P({TB, SK});
    k.protos["inet_bind_bucket_destroy"] = P({CACHE, TB});
    k.protos["inet_bind2_bucket_create"] = P({CACHE, NET, HEAD, "short unsigned int", "int", SK});
  } else if (series == "6.12") {
    k.protos["__inet_hash_connect"] = P({DR, SK, "u64", "fn *"});
    k.protos["inet_csk_update_fastreuse"] = P({TB, SK});
    k.protos["inet_bind_bucket_destroy"] = P({CACHE, TB});
    k.protos["inet_bind2_bucket_create"] = P({CACHE, NET, HEAD, TB, SK});
  } else {  // 6.18
    k.protos["__inet_hash_connect"] = P({DR, SK, "u64", "u32", "fn *"});
    k.protos["inet_csk_update_fastreuse"] = P({SK, TB, TB2});
    k.protos["inet_bind_bucket_destroy"] = P({TB});
    k.protos["inet_bind2_bucket_create"] = P({CACHE, NET, HEAD, TB, SK});
  }
  return k;
}

const FunctionPlan& plan_for(const std::vector<FunctionPlan>& plan, const std::string& f) {
  for (const auto& fp : plan)
    if (fp.function == f) return fp;
  throw std::runtime_error("no plan for " + f);
}

std::set<std::string> names(const FunctionPlan& fp) {
  std::set<std::string> s;
  for (const auto& p : fp.programs) s.insert(p.name);
  return s;
}

}  // namespace

TEST(TraceAttachPlan, PicksUpdateFastreuseVariantFromArgumentOrder) {
  auto old = make_attach_plan(kernel("6.12"), {});
  EXPECT_EQ(plan_for(old, "inet_csk_update_fastreuse").variant, "a2");
  EXPECT_TRUE(names(plan_for(old, "inet_csk_update_fastreuse")).count("fentry__inet_csk_update_fastreuse__a2"));
  auto neu = make_attach_plan(kernel("6.18"), {});
  EXPECT_EQ(plan_for(neu, "inet_csk_update_fastreuse").variant, "a3");
  EXPECT_TRUE(names(plan_for(neu, "inet_csk_update_fastreuse")).count("fentry__inet_csk_update_fastreuse__a3"));
}

TEST(TraceAttachPlan, PicksVariantsForChangedArgumentCounts) {
  auto k612 = make_attach_plan(kernel("6.12"), {});
  auto k618 = make_attach_plan(kernel("6.18"), {});
  auto k61 = make_attach_plan(kernel("6.1"), {});
  EXPECT_TRUE(names(plan_for(k612, "__inet_hash_connect")).count("fexit____inet_hash_connect__a4"));
  EXPECT_TRUE(names(plan_for(k618, "__inet_hash_connect")).count("fexit____inet_hash_connect__a5"));
  EXPECT_TRUE(names(plan_for(k612, "inet_bind_bucket_destroy")).count("fentry__inet_bind_bucket_destroy__a2"));
  EXPECT_TRUE(names(plan_for(k618, "inet_bind_bucket_destroy")).count("fentry__inet_bind_bucket_destroy__a1"));
  EXPECT_TRUE(names(plan_for(k61, "inet_bind2_bucket_create")).count("fexit__inet_bind2_bucket_create__a6"));
  EXPECT_TRUE(names(plan_for(k612, "inet_bind2_bucket_create")).count("fexit__inet_bind2_bucket_create__a5"));
}

TEST(TraceAttachPlan, MissingOptionalFunctionIsReportedNotFatal) {
  auto plan = make_attach_plan(kernel("5.10"), {});
  const auto& b2 = plan_for(plan, "inet_bind2_bucket_create");
  EXPECT_EQ(b2.mechanism, Mechanism::None);
  EXPECT_FALSE(b2.required);
  EXPECT_NE(b2.error.find("not in this kernel's BTF"), std::string::npos);
  EXPECT_EQ(plan_for(plan, "inet_csk_get_port").mechanism, Mechanism::Fentry);
}

TEST(TraceAttachPlan, UnknownPrototypeIsNamedNotGuessed) {
  auto k = kernel("6.12");
  k.protos["inet_csk_update_fastreuse"] = P({SK, SK});
  auto plan = make_attach_plan(k, {});
  const auto& fp = plan_for(plan, "inet_csk_update_fastreuse");
  EXPECT_TRUE(fp.programs.empty());
  EXPECT_NE(fp.error.find("prototype unknown"), std::string::npos) << fp.error;
}

TEST(TraceAttachPlan, FentryRefusedFallsBackToKprobeWithReason) {
  auto k = kernel("6.18");
  k.fentry_err = -EPERM;
  auto plan = make_attach_plan(k, {});
  const auto& fp = plan_for(plan, "__inet_hash_connect");
  EXPECT_EQ(fp.mechanism, Mechanism::Kprobe);
  EXPECT_EQ(names(fp), (std::set<std::string>{"kprobe____inet_hash_connect", "kretprobe____inet_hash_connect"}));
  EXPECT_NE(fp.fentry_error.find("fentry on __inet_hash_connect refused (EPERM)"), std::string::npos) << fp.fentry_error;
  EXPECT_NE(fp.fentry_error.find("--kernel"), std::string::npos);
}

TEST(TraceAttachPlan, AttachRefusedEarlierGivesKprobeForThatFunctionOnly) {
  // the tracer's second attempt after a trampoline was refused at attach time
  auto k = kernel("6.12");
  PlanOptions o;
  o.fentry_refused["inet_put_port"] = "fexit on inet_put_port refused (EBUSY)";
  auto plan = make_attach_plan(k, o);
  const auto& put = plan_for(plan, "inet_put_port");
  EXPECT_EQ(put.mechanism, Mechanism::Kprobe);
  EXPECT_EQ(names(put), (std::set<std::string>{"kprobe__inet_put_port", "kretprobe__inet_put_port"}));
  EXPECT_EQ(put.fentry_error, "fexit on inet_put_port refused (EBUSY)");
  EXPECT_EQ(std::count(k.fentry_tried.begin(), k.fentry_tried.end(), "inet_put_port"), 0);
  EXPECT_EQ(plan_for(plan, "inet_csk_get_port").mechanism, Mechanism::Fentry);
}

TEST(TraceAttachPlan, ForceKprobeNeverTriesFentry) {
  auto k = kernel("6.12");
  auto plan = make_attach_plan(k, PlanOptions{true, {}});
  EXPECT_TRUE(k.fentry_tried.empty());
  for (const auto& fp : plan) {
    if (fp.programs.empty()) continue;
    EXPECT_EQ(fp.mechanism, Mechanism::Kprobe) << fp.function;
    for (const auto& p : fp.programs) EXPECT_TRUE(tristate::report::is_kprobe_family(p.mechanism));
  }
}

// Every program a plan can name must exist in the compiled object, for every kernel shape and
// both mechanisms: a typo here would only show up inside a guest otherwise.
TEST(TraceAttachPlan, EveryPlannedProgramExistsInTheObject) {
  struct tristate_bpf* skel = tristate_bpf__open();
  ASSERT_NE(skel, nullptr);
  for (const char* series : {"5.10", "6.1", "6.12", "6.18"}) {
    for (bool force : {false, true}) {
      auto plan = make_attach_plan(kernel(series), PlanOptions{force, {}});
      for (const auto& fp : plan)
        for (const auto& p : fp.programs)
          EXPECT_NE(bpf_object__find_program_by_name(skel->obj, p.name.c_str()), nullptr)
              << series << " " << p.name;
    }
  }
  tristate_bpf__destroy(skel);
}
