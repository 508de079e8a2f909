// Kernel history: builds from apt-cache madison, version specs, the bisect search over fake
// catalogs, changelog excerpts and apt source discovery in both formats (rootless).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "lab/apt_sources.hpp"
#include "lab/bisect_search.hpp"
#include "lab/changelog.hpp"
#include "lab/kernel_history.hpp"
#include "lab/kernel_spec.hpp"

using namespace tristate::lab;

namespace {

// What `apt-cache madison` printed on a machine (mirror host replaced), meta packages included.
const char* kMadison =
    " linux-image-6.1-cloud-amd64 | 6.1.180-1~deb11u1 | http://mirror.example/debian-security bullseye-security/main amd64 Packages\n"
    " linux-image-6.12.107+deb13-cloud-amd64 | 6.12.107-1 | http://mirror.example/debian-security trixie-security/main amd64 Packages\n"
    " linux-image-6.12.107+deb13-cloud-amd64 | 6.12.107-1 | http://mirror.example/debian trixie/main amd64 Packages\n"
    " linux-image-6.12.107+deb12-cloud-amd64 | 6.12.107-1~deb12u1 | http://mirror.example/debian-security bookworm-security/main amd64 Packages\n"
    " linux-image-6.16.12+deb13-cloud-amd64 | 6.16.12-1~bpo13+1 | http://mirror.example/debian trixie-backports/main amd64 Packages\n"
    " linux-image-6.17.8+deb13-cloud-amd64 | 6.17.8-1~bpo13+1 | http://mirror.example/debian trixie-backports/main amd64 Packages\n"
    " linux-image-6.17.13+deb13-cloud-amd64 | 6.17.13-1~bpo13+1 | http://mirror.example/debian trixie-backports/main amd64 Packages\n"
    " linux-image-6.19.6+deb13-cloud-amd64 | 6.19.6-2~bpo13+1 | http://mirror.example/debian trixie-backports/main amd64 Packages\n"
    " linux-binary-6.19.6+deb13-cloud-amd64 | 6.19.6-2~bpo13+1 | http://mirror.example/debian trixie-backports/main amd64 Packages\n"
    " linux-binary-7.3-cloud-amd64 | 7.3~rc7-1~exp1 | http://mirror.example/debian experimental/main amd64 Packages\n"
    " linux-binary-7.3.4+deb13-cloud-amd64 | 7.3.4-1~bpo13+1 | http://mirror.example/debian trixie-backports/main amd64 Packages\n"
    " linux-image-6.17.13+deb13-cloud-amd64-unsigned | 6.17.13-1~bpo13+1 | http://mirror.example/debian trixie-backports/main amd64 Packages\n";

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(TRISTATE_SOURCE_DIR) + "/tests/unit/fixtures/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A fake catalog: signature per build, "" = unbootable. Counts the boots.
struct FakeCatalog {
  std::vector<std::string> sig;
  std::size_t boots = 0;
  std::size_t widest = 0;
  ProbeBuilds probe() {
    return [this](const std::vector<std::size_t>& idx) {
      boots += idx.size();
      widest = std::max(widest, idx.size());
      std::vector<BuildProbe> out;
      for (auto i : idx) {
        if (sig.at(i).empty()) out.push_back({std::nullopt, "kernel panic"});
        else out.push_back({sig[i], ""});
      }
      return out;
    };
  }
};

std::vector<std::string> steps(std::size_t n, std::size_t from, const std::string& a, const std::string& b) {
  std::vector<std::string> s(n, a);
  for (std::size_t i = from; i < n; ++i) s[i] = b;
  return s;
}

}  // namespace

TEST(LabHistory, BuildsFromMadisonLeaveOutMetaPackages) {
  const auto b = builds_from_madison(kMadison);
  std::vector<std::string> names;
  for (auto& x : b) names.push_back(x.package + " " + x.upstream);
  const std::vector<std::string> want = {
      "linux-image-6.12.107+deb12-cloud-amd64 6.12.107", "linux-image-6.12.107+deb13-cloud-amd64 6.12.107",
      "linux-image-6.16.12+deb13-cloud-amd64 6.16.12",  "linux-image-6.17.8+deb13-cloud-amd64 6.17.8",
      "linux-image-6.17.13+deb13-cloud-amd64 6.17.13",  "linux-binary-6.19.6+deb13-cloud-amd64 6.19.6",
      "linux-binary-7.3-cloud-amd64 7.3~rc7",           "linux-binary-7.3.4+deb13-cloud-amd64 7.3.4"};
  EXPECT_EQ(names, want);
  EXPECT_EQ(b[1].suites, (std::vector<std::string>{"trixie-security", "trixie"}));
  EXPECT_EQ(b[3].minor, "6.17");
  EXPECT_EQ(find_build(b, "6.17")->upstream, "6.17.13");  // newest of the minor
  EXPECT_EQ(find_build(b, "6.17.8")->package, "linux-image-6.17.8+deb13-cloud-amd64");
  EXPECT_EQ(find_build(b, "7.3")->upstream, "7.3.4");  // the release, not its candidate
  EXPECT_FALSE(find_build(b, "6.18"));
  EXPECT_FALSE(find_build(b, "6.17.9"));
}

TEST(LabHistory, VersionsAndSpecs) {
  EXPECT_EQ(upstream_of("6.17.8-1~bpo13+1"), "6.17.8");
  EXPECT_EQ(upstream_of("6.17.13+1~bpo13+1"), "6.17.13");
  EXPECT_EQ(upstream_of("7.3~rc7-1~exp1"), "7.3~rc7");
  EXPECT_EQ(upstream_of("6.1.192-3"), "6.1.192");
  EXPECT_EQ(upstream_of("garbage"), "");
  EXPECT_TRUE(upstream_less("7.3~rc7", "7.3"));
  EXPECT_TRUE(upstream_less("6.16.12", "6.17"));
  EXPECT_TRUE(upstream_less("6.9.1", "6.10"));
  EXPECT_FALSE(upstream_less("6.17.8", "6.17.8"));
  EXPECT_EQ(parse_kernel_spec("6.17.8").kind, KernelSpec::Kind::Version);
  EXPECT_EQ(parse_kernel_spec("6.16").kind, KernelSpec::Kind::Version);
  EXPECT_EQ(parse_kernel_spec("6.12").kind, KernelSpec::Kind::Series);  // the known series stay
  EXPECT_THROW(parse_kernel_spec("6.17.8.1"), std::invalid_argument);
}

TEST(LabBisect, OneBoundaryInLog2Boots) {
  for (std::size_t n : {2u, 3u, 8u, 25u, 50u})
    for (std::size_t at = 1; at < n; ++at) {
      FakeCatalog c{steps(n, at, "old", "new")};
      const auto o = bisect_builds(n, 1, c.probe());
      ASSERT_EQ(o.boundaries.size(), 1u) << n << " " << at;
      EXPECT_EQ(o.boundaries[0].first_bad, at);
      EXPECT_EQ(o.boundaries[0].last_good, at - 1);
      EXPECT_TRUE(o.boundaries[0].unbootable_between.empty());
      std::size_t log2 = 0;
      while ((std::size_t(1) << log2) < n - 1) ++log2;
      EXPECT_LE(o.boots(), 2 + log2) << n << " " << at;
      EXPECT_EQ(o.boots(), c.boots);
    }
}

TEST(LabBisect, KaryUsesTheCoresAndFewerRounds) {
  FakeCatalog one{steps(25, 17, "old", "new")}, four{steps(25, 17, "old", "new")};
  const auto a = bisect_builds(25, 1, one.probe());
  const auto b = bisect_builds(25, 4, four.probe());
  EXPECT_EQ(b.boundaries[0].first_bad, 17u);
  EXPECT_EQ(four.widest, 4u);
  EXPECT_LT(b.rounds.size(), a.rounds.size());
}

TEST(LabBisect, NoBoundaryWhenTheEndsAgree) {
  FakeCatalog c{std::vector<std::string>(20, "same")};
  const auto o = bisect_builds(20, 2, c.probe());
  EXPECT_TRUE(o.boundaries.empty());
  EXPECT_EQ(o.boots(), 2u);
  EXPECT_TRUE(o.error.empty());
}

TEST(LabBisect, TwoBoundariesAreBothReported) {
  // A -> B at 5, B -> C at 12: the ends differ and both changes are found
  std::vector<std::string> s = steps(16, 5, "A", "B");
  for (std::size_t i = 12; i < 16; ++i) s[i] = "C";
  FakeCatalog c{s};
  const auto o = bisect_builds(16, 2, c.probe());
  ASSERT_EQ(o.boundaries.size(), 2u);
  EXPECT_EQ(o.boundaries[0].first_bad, 5u);
  EXPECT_EQ(o.boundaries[1].first_bad, 12u);
  // back and forth (A, B, A): found when a probe lands inside B
  FakeCatalog d{{"A", "A", "A", "A", "B", "B", "B", "B", "B", "A", "C", "C"}};
  const auto p = bisect_builds(12, 1, d.probe());
  ASSERT_EQ(p.boundaries.size(), 3u);
  EXPECT_EQ(p.boundaries[0].first_bad, 4u);
  EXPECT_EQ(p.boundaries[1].first_bad, 9u);
  EXPECT_EQ(p.boundaries[2].first_bad, 10u);
}

TEST(LabBisect, UnbootableBuildsAreSkippedAndSaid) {
  // the change is at 6; 5 and 6 do not boot: the boundary is 4 -> 7 with both named
  std::vector<std::string> s = steps(10, 6, "old", "new");
  s[5] = s[6] = "";
  FakeCatalog c{s};
  const auto o = bisect_builds(10, 1, c.probe());
  ASSERT_EQ(o.boundaries.size(), 1u);
  EXPECT_EQ(o.boundaries[0].last_good, 4u);
  EXPECT_EQ(o.boundaries[0].first_bad, 7u);
  EXPECT_EQ(o.boundaries[0].unbootable_between, (std::vector<std::size_t>{5, 6}));
  EXPECT_FALSE(o.probed.at(5).signature);
  // an end that does not boot: nothing to compare with, said
  std::vector<std::string> t = steps(6, 3, "old", "new");
  t[0] = "";
  FakeCatalog d{t};
  const auto p = bisect_builds(6, 1, d.probe());
  EXPECT_NE(p.error.find("kernel panic"), std::string::npos) << p.error;
  EXPECT_TRUE(p.boundaries.empty());
}

TEST(LabChangelog, ExcerptSinceTheLastGoodBuild) {
  const auto lines = changelog_excerpt(fixture("changelog-6.17.8.txt"), "6.16.12");
  std::vector<std::string> got;
  for (auto& l : lines) got.push_back(l.version + " | " + l.text);
  const std::vector<std::string> want = {
      "6.17.8-1 | tcp: Update bind bucket state on port release",
      "6.17.8-1 | ipv6: avoid a hash collision storm in the flowlabel table",
      "6.17~rc7-1~exp1 | inet: fix bind conflict check for reuseport groups",
      "6.17.8-1 | [arm64] clk: renesas: cpg-mssr: Read back reset registers to assure values latched for the port",
  };
  EXPECT_EQ(got, want);  // mptcp's "tcp" is not a word; 6.16.12 and older are left out
  EXPECT_TRUE(lines[0].networking);
  EXPECT_FALSE(lines[3].networking);
  EXPECT_EQ(changelog_excerpt(fixture("changelog-6.17.8.txt"), "").size(), 6u);
}

TEST(LabApt, ClassicSourcesListGivesBothArchives) {
  const auto u = parse_classic_sources(
      "# comment: deb http://not.this/debian sid main\n"
      "deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://mirror.example/debian/ bookworm main contrib\n"
      "deb-src http://mirror.example/debian bookworm main\n"
      "deb http://mirror.example/debian-security bookworm-security main\n",
      "sources.list");
  EXPECT_EQ(u.main, "http://mirror.example/debian");
  EXPECT_EQ(u.security, "http://mirror.example/debian-security");
  EXPECT_EQ(u.signed_by, "/usr/share/keyrings/debian-archive-keyring.gpg");
  EXPECT_THROW(parse_classic_sources("deb-src http://x/debian sid main\n", "s"), std::runtime_error);
  // every history suite is written, security ones against the security archive
  const std::string list = private_sources_list(history_suites(), u, "test");
  EXPECT_NE(list.find("http://mirror.example/debian trixie-backports main\n"), std::string::npos) << list;
  EXPECT_NE(list.find("http://mirror.example/debian-security trixie-security main\n"), std::string::npos) << list;
  EXPECT_NE(list.find("http://mirror.example/debian experimental main\n"), std::string::npos) << list;
}

TEST(LabApt, MachineArchivesFromEitherFormatOrASayingError) {
  const std::string dir = ::testing::TempDir();
  const std::string deb822 = dir + "/t.sources", classic = dir + "/t.list";
  std::ofstream(deb822) << "Types: deb\nURIs: http://a.example/debian\nSuites: bookworm\n\n"
                           "Types: deb\nURIs: http://a.example/debian-security\nSuites: bookworm-security\n";
  std::ofstream(classic) << "deb http://b.example/debian trixie main\n";
  setenv("TRISTATE_DEBIAN_SOURCES", deb822.c_str(), 1);
  setenv("TRISTATE_APT_SOURCES_LIST", classic.c_str(), 1);
  EXPECT_EQ(read_machine_archives().main, "http://a.example/debian");
  setenv("TRISTATE_DEBIAN_SOURCES", (dir + "/absent.sources").c_str(), 1);
  EXPECT_EQ(read_machine_archives().main, "http://b.example/debian");
  EXPECT_EQ(read_machine_archives().security, "");
  setenv("TRISTATE_APT_SOURCES_LIST", (dir + "/absent.list").c_str(), 1);
  try {
    read_machine_archives();
    ADD_FAILURE() << "no sources at all must throw";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("--kernel /path/to/vmlinuz"), std::string::npos) << e.what();
  }
  unsetenv("TRISTATE_DEBIAN_SOURCES");
  unsetenv("TRISTATE_APT_SOURCES_LIST");
}
