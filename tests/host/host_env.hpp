// Shared by the host-tier tests: they run real quizzes (network namespaces), so they need
// root, and CI runs them as root. Without it they fail, loudly, rather than skip.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

namespace tristate::test {

class HostTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0)
      FAIL() << "host tests must run as root (they create network namespaces; CI runs as "
                "root): run `sudo ctest -L host` — euid is "
             << ::geteuid();
  }
};

}  // namespace tristate::test
