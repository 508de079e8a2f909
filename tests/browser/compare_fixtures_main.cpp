// Writes the synthetic reports the compare CLI and browser tests run `tristate compare` on:
//   a.json        6.12.9, traced
//   b.json        6.18.1, traced; post-3's connect() succeeds and moves the bucket 0 → -1
//   same.json     6.1.0-28, traced, agrees with a.json
//   schema3.json  a.json under schema tristate.report/3 (a major this tristate does not read)
//   corrupt.json  a.json cut short
//   disjoint.json quizzes named differently from a.json's
//   busy-{a,b,c}.json  one quiz that moves its bucket through every state and back, with long
//                 statements and long kernel releases: the SVG diagrams' worst case (labels
//                 wider than the gap between nodes, arcs stacked in lanes on both sides)
#include <filesystem>
#include <fstream>
#include <iostream>

#include "report/report_json.hpp"
#include "../unit/test_compare_fixtures.hpp"

using namespace tristate::compare_fixtures;

namespace {

// bind(), reuse, connect-made, back to bind-made, destroyed, re-made by connect(), a pair
// that disagrees, destroyed again; `variant` changes one move so the columns differ.
Quiz busy_quiz(int variant) {
  const BucketState kPair{-1, 0};
  Quiz q;
  q.name = "busy-bucket-with-a-long-quiz-name";
  q.title = "every move";
  q.steps.push_back(step(1, "listener.bind(('127.0.0.1', 60000))  # a long comment to make the label wide", "",
                         {ev("bucket_create", "inet_bind_bucket_create", "bind", {}, kBind)}));
  q.steps.push_back(step(2, "listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)", "",
                         {ev("bucket_state", "inet_csk_update_fastreuse", "bind", kBind, kReuse)}));
  q.steps.push_back(step(3, "client_socket_number_one.connect(('127.9.9.9', 1234))", "",
                         {ev("bucket_state", "__inet_hash_connect", "connect", kReuse, kConnect)}));
  q.steps.push_back(step(4, "second_listener.bind(('127.0.0.2', 60000))", "",
                         {ev("bucket_state", "inet_csk_update_fastreuse", "bind", kConnect,
                             variant ? kReuse : kBind)}));
  // refused where the bucket went +1 (variant 1): a step output to show in the table
  q.steps.push_back(step(5, "yet_another_client.connect(('127.9.9.9', 1234))", variant ? "EADDRNOTAVAIL" : "",
                         {ev("bucket_state", "__inet_hash_connect", "connect", variant ? kReuse : kBind, kConnect)}));
  q.steps.push_back(step(6, "everything.close(); and_everything_else.close()", "",
                         {ev("bucket_destroy", "inet_bind_bucket_destroy", "release", kConnect, {})}));
  q.steps.push_back(step(7, "s9.connect(('127.9.9.9', 1234))", "",
                         {ev("bucket_create", "inet_bind_bucket_create", "connect", {}, kConnect)}));
  q.steps.push_back(step(8, "s10.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1); s10.bind(('127.0.0.1', 60000))", "",
                         {ev("bucket_state", "inet_csk_update_fastreuse", "bind", kConnect, kPair)}));
  q.steps.push_back(step(9, "s9.close(); s10.close()", "",
                         {ev("bucket_destroy", "inet_bind_bucket_destroy", "release", kPair, {})}));
  return q;
}

Report busy_report(const std::string& release, int variant) {
  Report r = report_for(release);
  r.quizzes = {busy_quiz(variant)};
  return r;
}

}  // namespace

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
  nlohmann::json schema3 = a;
  schema3["schema"] = "tristate.report/3";
  const std::string a_text = nlohmann::json(a).dump(2);

  write("a.json", a_text);
  write("b.json", nlohmann::json(b).dump(2));
  write("same.json", nlohmann::json(report_for("6.1.0-28")).dump(2));
  write("schema3.json", schema3.dump(2));
  write("corrupt.json", a_text.substr(0, a_text.size() / 2));
  write("disjoint.json", nlohmann::json(disjoint).dump(2));
  write("busy-a.json", nlohmann::json(busy_report("6.1.0-28-cloud-amd64-with-a-long-local-suffix", 0)).dump(2));
  write("busy-b.json", nlohmann::json(busy_report("6.12.9+deb12-cloud-amd64-another-long-one", 1)).dump(2));
  write("busy-c.json", nlohmann::json(busy_report("7.2.13-cloud-amd64-and-the-third-long-release", 0)).dump(2));
  return 0;
}
