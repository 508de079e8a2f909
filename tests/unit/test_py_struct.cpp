// pack() against Python's own struct.pack, asked in the same run: every integer code, every
// byte-order prefix, values across the 64-bit range (in and out of each code's range), and
// malformed formats; bytes and struct.error messages must be identical.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "quiz/py_struct.hpp"

namespace tq = tristate::quiz;

namespace {

struct Case {
  std::string fmt;
  std::vector<long long> values;
};

std::string py_literal(const Case& c) {
  std::string args = "'" + c.fmt + "'";
  for (long long v : c.values) args += ", " + std::to_string(v);
  return args;
}

// One line per case from python3: the packed bytes in hex, or "E:" and the exception line.
std::vector<std::string> python_answers(const std::vector<Case>& cases) {
  std::string prog =
      "import struct, traceback\n"
      "def f(*a):\n"
      "  try: print(struct.pack(*a).hex())\n"
      "  except Exception as e: print('E:' + traceback.format_exception_only(type(e), e)[-1].strip())\n";
  for (const auto& c : cases) prog += "f(" + py_literal(c) + ")\n";
  const std::string path = ::testing::TempDir() + "py_struct_oracle.py";
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f) return {};
  std::fputs(prog.c_str(), f);
  std::fclose(f);
  std::vector<std::string> out;
  FILE* p = ::popen(("python3 " + path).c_str(), "r");
  if (!p) return out;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, p)) {
    std::string line(buf);
    while (!line.empty() && line.back() == '\n') line.pop_back();
    out.push_back(line);
  }
  ::pclose(p);
  return out;
}

std::string ours(const Case& c) {
  std::vector<tq::PyValue> vals;
  for (long long v : c.values) vals.push_back(tq::PyValue::integer(v));
  const tq::Packed r = tq::py_pack(tq::PyValue::str(c.fmt), vals);
  if (!r.error.empty()) return "E:" + r.error;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char b : r.bytes) {
    hex += kHex[b >> 4];
    hex += kHex[b & 15];
  }
  return hex;
}

}  // namespace

TEST(PyStruct, AgreesWithPythonsStructPack) {
  const std::vector<long long> values = {
      -(1LL << 62) * 2, -(1LL << 31) - 1, -(1LL << 31), -32769, -32768, -129, -128, -1, 0, 1,
      127, 128, 255, 256, 32767, 32768, 65535, 65536, (1LL << 31) - 1, 1LL << 31,
      (1LL << 32) - 1, 1LL << 32, (1LL << 62) + ((1LL << 62) - 1)};
  std::vector<Case> cases;
  for (std::string prefix : {"", "@", "=", "<", ">", "!"})
    for (char code : std::string("IiHhBbQq"))
      for (long long v : values) cases.push_back({prefix + code, {v}});
  // Several codes (native alignment), repeat counts, spaces, wrong counts, bad formats.
  cases.push_back({"BI", {1, 2}});
  cases.push_back({"@BHQ", {1, 2, 3}});
  cases.push_back({"<BHQ", {1, 2, 3}});
  cases.push_back({"2H", {60000, 60001}});
  cases.push_back({"I I", {1, 2}});
  cases.push_back({"<HH", {60000, 60010}});
  cases.push_back({"I", {}});
  cases.push_back({"I", {1, 2}});
  cases.push_back({"2H", {1}});
  cases.push_back({"", {}});
  cases.push_back({"<", {}});
  cases.push_back({"z", {1}});
  cases.push_back({"<<I", {1}});
  cases.push_back({"3", {}});
  cases.push_back({"I2", {1}});
  const auto want = python_answers(cases);
  ASSERT_EQ(want.size(), cases.size()) << "python3 did not answer every case";
  for (std::size_t k = 0; k < cases.size(); ++k)
    EXPECT_EQ(ours(cases[k]), want[k]) << "pack(" << py_literal(cases[k]) << ")";
}

TEST(PyStruct, NonIntegerArgumentsAndFormats) {
  EXPECT_EQ(tq::py_pack(tq::PyValue::str("I"), {tq::PyValue::str("1")}).error,
            "struct.error: required argument is not an integer");
  EXPECT_EQ(tq::py_pack(tq::PyValue::integer(1), {}).error,
            "TypeError: Struct() argument 1 must be a str or bytes object, not int");
  // A Python code the language does not implement is refused, never packed differently.
  EXPECT_NE(tq::py_pack(tq::PyValue::str("x"), {}).error.find("NotImplementedError"),
            std::string::npos);
}
