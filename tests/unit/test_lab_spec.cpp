// Kernel specs, the series table and version ordering (rootless).
#include <gtest/gtest.h>

#include "lab/kernel_spec.hpp"

using namespace tristate::lab;

TEST(LabSpec, AcceptedForms) {
  EXPECT_EQ(parse_kernel_spec("host").kind, KernelSpec::Kind::Host);
  for (auto s : {"5.10", "6.1", "6.12", "latest"}) {
    auto k = parse_kernel_spec(s);
    EXPECT_EQ(k.kind, KernelSpec::Kind::Series) << s;
    EXPECT_EQ(k.value, s);
  }
  auto p = parse_kernel_spec("linux-image-6.1.0-28-cloud-amd64");
  EXPECT_EQ(p.kind, KernelSpec::Kind::Package);
  EXPECT_EQ(parse_kernel_spec("linux-binary-7.2.13+deb14-cloud-amd64").kind, KernelSpec::Kind::Package);
  EXPECT_EQ(parse_kernel_spec("./vmlinuz").kind, KernelSpec::Kind::Path);
  EXPECT_EQ(parse_kernel_spec("/boot/vmlinuz-6.1.0-28-amd64").value, "/boot/vmlinuz-6.1.0-28-amd64");
}

TEST(LabSpec, BadSpecListsTheForms) {
  for (auto bad : {"6.2.x", "6..2", "linux-image-", "vmlinuz", "sid", "linux-headers-6.1.0-28-amd64"}) {
    try {
      parse_kernel_spec(bad);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const std::invalid_argument& e) {
      std::string m = e.what();
      EXPECT_NE(m.find(bad), std::string::npos) << m;
      EXPECT_NE(m.find("host"), std::string::npos) << m;
      EXPECT_NE(m.find("5.10, 6.1, 6.12, latest"), std::string::npos) << m;
      EXPECT_NE(m.find("package"), std::string::npos) << m;
      EXPECT_NE(m.find("vmlinuz"), std::string::npos) << m;
    }
  }
}

TEST(LabSpec, SeriesOfPackage) {
  EXPECT_EQ(series_of_package("linux-image-5.10.0-46-cloud-amd64"), "5.10");
  EXPECT_EQ(series_of_package("linux-image-6.1.0-56-cloud-amd64"), "6.1");
  EXPECT_EQ(series_of_package("linux-image-6.12.117+deb12-cloud-amd64"), "6.12");
  EXPECT_EQ(series_of_package("linux-binary-7.2.13+deb14-cloud-amd64"), "latest");
  EXPECT_EQ(series_of_package("linux-image-6.1.0-56-amd64"), "6.1");  // other flavour
  EXPECT_EQ(series_of_package("linux-image-4.19.0-20-amd64"), "");
}

TEST(LabSpec, SeriesPatternsMatchOnlyKernelImages) {
  auto matches = [](const std::string& series, const std::string& pkg) {
    return series_of_package(pkg) == series && find_series(series) != nullptr;
  };
  EXPECT_TRUE(matches("6.1", "linux-image-6.1.0-9-cloud-amd64"));
  // the 6.1 pattern must not swallow 6.12 packages
  EXPECT_EQ(series_of_package("linux-image-6.12.9+deb12-cloud-amd64"), "6.12");
  EXPECT_NE(series_of_package("linux-image-cloud-amd64"), "6.1");  // meta package
}

TEST(LabSpec, VersionOrderIsNumeric) {
  EXPECT_TRUE(version_less("linux-image-6.1.0-9-cloud-amd64", "linux-image-6.1.0-28-cloud-amd64"));
  EXPECT_FALSE(version_less("linux-image-6.1.0-28-cloud-amd64", "linux-image-6.1.0-9-cloud-amd64"));
  EXPECT_TRUE(version_less("linux-image-6.12.9+deb12-cloud-amd64", "linux-image-6.12.117+deb12-cloud-amd64"));
  EXPECT_TRUE(version_less("5.10.0-32", "5.10.0-46"));
  EXPECT_FALSE(version_less("5.10.0-46", "5.10.0-46"));
  EXPECT_TRUE(version_less("7.2", "7.2.1"));
}
