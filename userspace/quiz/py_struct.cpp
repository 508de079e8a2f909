#include "quiz/py_struct.hpp"

#include <cctype>

namespace tristate::quiz {
namespace {

struct Code {
  char c;
  int size;
};

int code_size(char c) {
  switch (c) {
    case 'B': case 'b': return 1;
    case 'H': case 'h': return 2;
    case 'I': case 'i': return 4;
    case 'Q': case 'q': return 8;
    default: return 0;
  }
}

// CPython's messages differ between the native/little-endian packers and the big-endian
// ones; measured with python3.11 for values across the 64-bit range.
std::string range_error(char c, long long v, bool big) {
  const std::string aor = "argument out of range";
  switch (c) {
    case 'B': return v < 0 || v > 255 ? "ubyte format requires 0 <= number <= 255" : "";
    case 'b': return v < -128 || v > 127 ? "byte format requires -128 <= number <= 127" : "";
    case 'H':
      if (v >= 0 && v <= 65535) return "";
      if (!big) return "ushort format requires 0 <= number <= 65535";
      return v < 0 ? aor : "'H' format requires 0 <= number <= 65535";
    case 'h':
      if (v >= -32768 && v <= 32767) return "";
      return big ? "'h' format requires -32768 <= number <= 32767"
                 : "short format requires -32768 <= number <= 32767";
    case 'I':
      if (v < 0) return aor;
      return v > 4294967295LL ? "'I' format requires 0 <= number <= 4294967295" : "";
    case 'i':
      return v < -2147483648LL || v > 2147483647LL
                 ? "'i' format requires -2147483648 <= number <= 2147483647" : "";
    case 'Q': return v < 0 ? (big ? "int too large to convert" : aor) : "";
    default: return "";  // 'q' holds every value the language can write
  }
}

// Python-valid codes the language does not implement: refused loudly, never packed wrongly.
constexpr std::string_view kPythonOnly = "xcs?nNefdpP";

}  // namespace

Packed py_pack(const PyValue& format, const std::vector<PyValue>& values) {
  Packed out;
  auto raise = [&](const std::string& line) {
    out.error = line;
    out.bytes.clear();
    return out;
  };
  auto error = [&](const std::string& msg) { return raise("struct.error: " + msg); };
  if (format.kind != PyValue::Kind::Str)
    return raise("TypeError: Struct() argument 1 must be a str or bytes object, not " +
                 std::string(format.type_name()));
  std::string_view f = format.s;
  char order = '@';
  if (!f.empty() && std::string_view("@=<>!").find(f[0]) != std::string_view::npos) {
    order = f[0];
    f.remove_prefix(1);
  }
  const bool big = order == '>' || order == '!';
  std::vector<Code> codes;
  for (std::size_t k = 0; k < f.size(); ++k) {
    if (std::isspace(static_cast<unsigned char>(f[k]))) continue;
    long long repeat = 1;
    if (std::isdigit(static_cast<unsigned char>(f[k]))) {
      repeat = 0;
      while (k < f.size() && std::isdigit(static_cast<unsigned char>(f[k])))
        repeat = std::min(repeat * 10 + (f[k++] - '0'), 1LL << 20);
      if (k >= f.size()) return error("repeat count given without format specifier");
    }
    const int size = code_size(f[k]);
    if (size == 0) {
      if (kPythonOnly.find(f[k]) != std::string_view::npos)
        return raise(std::string("NotImplementedError: tristate's pack() has no format code '") +
                     f[k] + "' (it knows I i H h B b Q q)");
      return error("bad char in struct format");
    }
    for (long long r = 0; r < repeat && codes.size() <= values.size(); ++r)
      codes.push_back({f[k], size});
  }
  if (codes.size() != values.size()) {
    // Count as CPython does, even past what was expanded above.
    long long n = 0;
    for (std::size_t k = 0; k < f.size(); ++k) {
      long long repeat = 1;
      if (std::isdigit(static_cast<unsigned char>(f[k]))) {
        repeat = 0;
        while (k < f.size() && std::isdigit(static_cast<unsigned char>(f[k])))
          repeat = std::min(repeat * 10 + (f[k++] - '0'), 1LL << 40);
      }
      if (k < f.size() && code_size(f[k])) n += repeat;
    }
    return error("pack expected " + std::to_string(n) + " items for packing (got " +
                 std::to_string(values.size()) + ")");
  }
  for (std::size_t k = 0; k < codes.size(); ++k) {
    const PyValue& v = values[k];
    if (v.kind != PyValue::Kind::Int) return error("required argument is not an integer");
    if (auto e = range_error(codes[k].c, v.i, big); !e.empty()) return error(e);
    if (order == '@')  // native mode aligns each item to its own size, as C would
      while (out.bytes.size() % static_cast<std::size_t>(codes[k].size)) out.bytes += '\0';
    const auto u = static_cast<unsigned long long>(v.i);
    for (int b = 0; b < codes[k].size; ++b) {
      const int shift = 8 * (big ? codes[k].size - 1 - b : b);
      out.bytes += static_cast<char>((u >> shift) & 0xff);
    }
  }
  return out;
}

}  // namespace tristate::quiz
