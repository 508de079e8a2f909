// The private apt configuration is generated from the machine's deb822 source (rootless).
#include <gtest/gtest.h>

#include "lab/apt_sources.hpp"

using namespace tristate::lab;

namespace {

// Shaped like a Debian 12 image's file, comments included (a comment URL must not be taken).
const char* kSample = R"(Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://mirror.example/debian/
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
# http://snapshot.debian.org/archive/debian-security/20250520T000000Z
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
)";

}  // namespace

TEST(LabApt, ReadsMainAndSecurityUris) {
  auto u = parse_debian_sources(kSample, "sample");
  EXPECT_EQ(u.main, "http://mirror.example/debian");
  EXPECT_EQ(u.security, "http://mirror.example/debian-security");
  EXPECT_EQ(u.signed_by, "/usr/share/keyrings/debian-archive-keyring.gpg");
}

TEST(LabApt, SourcesListPerSeries) {
  auto u = parse_debian_sources(kSample, "sample");
  std::string l510 = private_sources_list(*find_series("5.10"), u);
  EXPECT_NE(l510.find("deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] "
                      "http://mirror.example/debian bullseye main\n"),
            std::string::npos)
      << l510;
  EXPECT_NE(l510.find("http://mirror.example/debian-security bullseye-security main\n"), std::string::npos) << l510;
  std::string l612 = private_sources_list(*find_series("6.12"), u);
  EXPECT_NE(l612.find("http://mirror.example/debian-security bookworm-security main"), std::string::npos);
  std::string sid = private_sources_list(*find_series("latest"), u);
  EXPECT_NE(sid.find("http://mirror.example/debian sid main"), std::string::npos) << sid;
  EXPECT_EQ(sid.find("security"), std::string::npos) << sid;
  std::string b = private_sources_list(*find_series("6.1"), u);
  EXPECT_NE(b.find("/debian bookworm main"), std::string::npos);
  EXPECT_NE(b.find("/debian-security bookworm-security main"), std::string::npos);
}

TEST(LabApt, NoUrisIsAClearError) {
  try {
    parse_debian_sources("Types: deb\nSuites: bookworm\n", "/etc/apt/x.sources");
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/etc/apt/x.sources"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("URIs:"), std::string::npos);
  }
}

TEST(LabApt, MissingSecurityArchiveNamedWhenNeeded) {
  auto u = parse_debian_sources("URIs: http://m/debian\nSuites: sid\n", "one.sources");
  EXPECT_TRUE(u.security.empty());
  EXPECT_NO_THROW(private_sources_list(*find_series("latest"), u));
  try {
    private_sources_list(*find_series("6.12"), u);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("bookworm-security"), std::string::npos) << e.what();
  }
}

TEST(LabApt, OptionsPointOnlyAtPrivateDirs) {
  AptDirs d{"/c/apt/6.1"};
  auto o = apt_options(d);
  auto has = [&](const std::string& s) {
    for (auto& x : o)
      if (x == s) return true;
    return false;
  };
  EXPECT_TRUE(has("Dir::Etc::sourcelist=/c/apt/6.1/sources.list"));
  EXPECT_TRUE(has("Dir::Etc::sourceparts=-"));
  EXPECT_TRUE(has("Dir::State::Lists=/c/apt/6.1/lists"));
  EXPECT_TRUE(has("Dir::Cache=/c/apt/6.1/cache"));
  // relative: inside the private Dir::Cache, whatever the machine's apt.conf.d says
  EXPECT_TRUE(has("Dir::Cache::pkgcache=pkgcache.bin"));
}

TEST(LabApt, DownloadPercentFromStatusLines) {
  EXPECT_EQ(apt_download_percent("dlstatus:1:42.5000:Retrieving file 1 of 1"), 42.5);
  EXPECT_EQ(apt_download_percent("dlstatus:1:100.0000:Retrieving file 1 of 1"), 100.0);
  EXPECT_EQ(apt_download_percent("dlstatus:1:0.0000:Retrieving file 1 of 1"), 0.0);
  EXPECT_EQ(apt_download_percent("dlstatus:1:250:odd"), 100.0);
  EXPECT_FALSE(apt_download_percent("pmstatus:dpkg:50:Installing"));
  EXPECT_FALSE(apt_download_percent("Get:1 http://x bookworm/main linux-image [33.6 MB]"));
  EXPECT_FALSE(apt_download_percent("dlstatus:1:"));
  EXPECT_FALSE(apt_download_percent("dlstatus:1:abc:x"));
}

TEST(LabApt, EnvironmentOverridesTheSourceFile) {
  setenv("TRISTATE_DEBIAN_SOURCES", "/tmp/elsewhere.sources", 1);
  EXPECT_EQ(debian_sources_path(), "/tmp/elsewhere.sources");
  unsetenv("TRISTATE_DEBIAN_SOURCES");
  EXPECT_EQ(debian_sources_path(), "/etc/apt/sources.list.d/debian.sources");
}
