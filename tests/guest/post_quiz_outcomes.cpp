// The post's quizzes inside each kernel series, step by step. A step must match the post's
// expected output unless post_deviations.txt records that kernel's real, different output
// (then it must not match, and must print exactly what is recorded): the kernel is the
// authority, the file is its record. Usage: post_quiz_outcomes TRISTATE QUIZ_DIR SERIES
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "lab/catalog.hpp"
#include "lab/quiz_guest.hpp"

namespace fs = std::filesystem;
using namespace tristate;

namespace {

std::string g_tristate, g_quiz_dir, g_series;

// "series quiz step | actual output" lines; '#' comments.
std::map<std::string, std::string> load_deviations(const std::string& series) {
  std::map<std::string, std::string> out;
  std::ifstream in(fs::path(__FILE__).parent_path() / "post_deviations.txt");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ls(line);
    std::string s, quiz, step;
    ls >> s >> quiz >> step;
    auto bar = line.find(" | ");
    if (s != series || bar == std::string::npos) continue;
    out[quiz + "#" + step] = line.substr(bar + 3);
  }
  return out;
}

TEST(PostQuizzes, EachStepAsRecordedForThisKernel) {
  std::vector<std::string> paths;
  for (auto& e : fs::directory_iterator(g_quiz_dir))
    if (e.path().filename().string().starts_with("post-") && e.path().extension() == ".quiz")
      paths.push_back(e.path().string());
  std::sort(paths.begin(), paths.end());
  ASSERT_GE(paths.size(), 8u) << "the post's eight quizzes are missing from " << g_quiz_dir;

  auto cache = lab::Cache::from_environment();
  auto kernel = lab::resolve_kernel(lab::parse_kernel_spec(g_series), cache, nullptr);
  auto req = lab::make_quiz_request(g_tristate, paths, {});
  req.timeout = std::chrono::seconds(400);
  lab::GuestResult gr;
  report::Report rep;
  try {
    rep = lab::run_quizzes_in_guest(kernel, req, cache, &gr);
  } catch (const lab::GuestError& e) {
    FAIL() << e.detail();
  }
  std::cout << g_series << " (" << gr.release << "): boot " << gr.boot_s << " s, quizzes " << gr.run_s
            << " s, trace mode " << tristate::report::name(rep.trace.mode) << "\n";
  EXPECT_EQ(rep.where, "guest");
  EXPECT_EQ(rep.kernel.series, g_series);
  EXPECT_EQ(rep.kernel.release, gr.release);
  ASSERT_EQ(rep.quizzes.size(), paths.size());

  auto deviations = load_deviations(g_series);
  std::size_t used = 0;
  for (auto& q : rep.quizzes) {
    EXPECT_NE(q.status, tristate::report::QuizStatus::error) << q.name << ": " << q.error;
    EXPECT_FALSE(q.steps.empty()) << q.name;
    for (auto& s : q.steps) {
      std::string key = q.name + "#" + std::to_string(s.index);
      auto it = deviations.find(key);
      if (it == deviations.end()) {
        EXPECT_TRUE(s.matched) << g_series << " " << key << " `" << s.source << "` printed `" << s.actual
                               << "`, the post expects `" << s.expected
                               << "` — if this kernel really does this, record it in post_deviations.txt";
      } else {
        ++used;
        EXPECT_FALSE(s.matched) << g_series << " " << key << " now matches the post; drop its deviation line";
        EXPECT_EQ(s.actual, it->second) << g_series << " " << key;
      }
    }
  }
  EXPECT_EQ(used, deviations.size()) << "post_deviations.txt names steps this run did not have";
}

}  // namespace

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  if (argc != 4) {
    std::cerr << "usage: post_quiz_outcomes TRISTATE QUIZ_DIR SERIES\n";
    return 2;
  }
  g_tristate = argv[1];
  g_quiz_dir = argv[2];
  g_series = argv[3];
  return RUN_ALL_TESTS();
}
