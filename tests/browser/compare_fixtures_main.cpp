// Writes the synthetic reports the compare CLI and browser tests run `tristate compare` on:
//   a.json        6.12.9, traced
//   b.json        6.18.1, traced; post-3's connect() succeeds and moves the bucket 0 → -1
//   same.json     6.1.0-28, traced, agrees with a.json
//   schema2.json  a.json under schema tristate.report/2
//   corrupt.json  a.json cut short
//   disjoint.json quizzes named differently from a.json's
#include <filesystem>
#include <fstream>
#include <iostream>

#include "report/report_json.hpp"
#include "../unit/test_compare_fixtures.hpp"

using namespace tristate::compare_fixtures;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: compare_fixtures DIR\n";
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  std::filesystem::create_directories(dir);
  auto write = [&](const char* name, const std::string& text) {
    std::ofstream out(dir / name, std::ios::trunc);
    out << text;
    if (!out.flush()) {
      std::cerr << "cannot write " << (dir / name).string() << "\n";
      std::exit(2);
    }
  };
  const Report a = report_for("6.12.9");
  Report b = report_for("6.18.1");
  for (auto& q : b.quizzes)
    if (q.name == "post-3") {
      auto& s = q.steps[3];
      s.calls[0] = {s.source, true, "None", 0, ""};
      s.actual = "";
      s.matched = false;
      s.events = {ev("bucket_state", "__inet_hash_connect", "connect", kBind, kConnect)};
    }
  Report disjoint = report_for("6.1.0-28");
  for (auto& q : disjoint.quizzes) q.name = "other-" + q.name;
  nlohmann::json schema2 = a;
  schema2["schema"] = "tristate.report/2";
  const std::string a_text = nlohmann::json(a).dump(2);

  write("a.json", a_text);
  write("b.json", nlohmann::json(b).dump(2));
  write("same.json", nlohmann::json(report_for("6.1.0-28")).dump(2));
  write("schema2.json", schema2.dump(2));
  write("corrupt.json", a_text.substr(0, a_text.size() / 2));
  write("disjoint.json", nlohmann::json(disjoint).dump(2));
  return 0;
}
