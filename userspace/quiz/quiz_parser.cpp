// The quiz file format (docs/quiz-format.md): a `# key: value` header, then doctest examples.
// Everything that is neither is prose and ignored, as doctest ignores it, so a block pasted
// from the post or a whole Cloudflare quiz_N.py runs unchanged.
#include "quiz/quiz_parser.hpp"
#include "util/input_file.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>

#include "quiz/call_checks.hpp"
#include "quiz/quiz_constants.hpp"
#include "quiz/state_assert.hpp"
#include "quiz/statement_parser.hpp"
#include "util/text.hpp"

namespace tristate::quiz {
namespace {

namespace fs = std::filesystem;

bool is_blank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\t' || c == '\r'; });
}

std::size_t indent_of(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  return i;
}

std::string_view trim(std::string_view s) {
  std::size_t b = indent_of(s);
  std::size_t e = s.size();
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r')) --e;
  return s.substr(b, e - b);
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

bool is_example_line(std::string_view line) {
  return starts_with(line.substr(indent_of(line)), ">>>");
}

bool is_docstring_end(std::string_view line) {
  auto t = trim(line);
  return t == "\"\"\"" || t == "'''";
}


// ---------------------------------------------------------------------------------------
// The file: header, examples, expectations.

constexpr std::string_view kHeaderKeys =
    "title, source, lesson, port-range, listen, address, sysctl, note";

bool is_known_key(std::string_view k) {
  for (auto known : {"title", "source", "lesson", "port-range", "listen", "address", "sysctl",
                     "note"})
    if (k == known) return true;
  return false;
}

// `# key: value` with a lowercase key at the very start of the line. Anything else starting
// with '#' ("#!/usr/bin/env", "# Quiz #3") is prose.
struct HeaderLine {
  std::string key;
  std::string value;
  int key_col = 0;
  int value_col = 0;
};

std::optional<HeaderLine> match_header(std::string_view line) {
  if (line.empty() || line[0] != '#') return std::nullopt;
  std::size_t p = 1;
  while (p < line.size() && line[p] == ' ') ++p;
  const std::size_t kb = p;
  if (p >= line.size() || !(line[p] >= 'a' && line[p] <= 'z')) return std::nullopt;
  while (p < line.size() &&
         ((line[p] >= 'a' && line[p] <= 'z') || (line[p] >= '0' && line[p] <= '9') || line[p] == '-'))
    ++p;
  const std::size_t ke = p;
  if (p >= line.size() || line[p] != ':') return std::nullopt;
  ++p;
  while (p < line.size() && (line[p] == ' ' || line[p] == '\t')) ++p;
  HeaderLine h;
  h.key = std::string(line.substr(kb, ke - kb));
  h.key_col = static_cast<int>(kb) + 1;
  h.value_col = static_cast<int>(p) + 1;
  h.value = std::string(trim(line.substr(p)));
  return h;
}

// Whitespace-separated words of a header value, with their columns.
struct Word {
  std::string text;
  int col = 0;
};

std::vector<Word> words(const HeaderLine& h) {
  std::vector<Word> out;
  const std::string& v = h.value;
  std::size_t p = 0;
  while (p < v.size()) {
    while (p < v.size() && (v[p] == ' ' || v[p] == '\t')) ++p;
    if (p >= v.size()) break;
    std::size_t b = p;
    while (p < v.size() && v[p] != ' ' && v[p] != '\t') ++p;
    out.push_back({v.substr(b, p - b), h.value_col + static_cast<int>(b)});
  }
  return out;
}

class FileParser {
 public:
  FileParser(std::string_view text, const std::string& file) : file_(file) {
    // Lines end at \n, \r\n or a lone \r (a file saved by an old Mac editor), as Python's
    // universal newlines read them.
    std::size_t b = 0;
    while (b <= text.size()) {
      std::size_t e = text.find_first_of("\r\n", b);
      if (e == std::string_view::npos) e = text.size();
      lines_.push_back(text.substr(b, e - b));
      b = e + (e + 1 < text.size() && text[e] == '\r' && text[e + 1] == '\n' ? 2 : 1);
    }
  }

  Quiz parse() {
    Quiz q;
    q.file = file_;
    q.name = fs::path(file_).stem().string();
    bool in_header = true;
    std::size_t i = 0;
    while (i < lines_.size()) {
      std::string_view line = lines_[i];
      if (is_example_line(line)) {
        in_header = false;
        i = example(q, i);
        continue;
      }
      if (auto h = match_header(line)) {
        if (in_header) {
          header(q, *h, static_cast<int>(i) + 1);
        } else if (is_known_key(h->key)) {
          fail(static_cast<int>(i) + 1, h->key_col,
               "found the header key '" + h->key +
                   "' after the first '>>>', expected header lines before the first example");
        }
      }
      ++i;
    }
    if (q.steps.empty()) {
      // Cloudflare's test_fastreuse*.py sit beside its quiz_N.py: programs, not doctests
      bool program = false;
      for (std::string_view l : lines_)
        program = program || starts_with(l, "def ") || starts_with(l, "import ") ||
                  (starts_with(l, "from ") && l.find(" import ") != std::string_view::npos);
      fail(1, 1, std::string("found no statements, expected at least one '>>> ' example line") +
                     (program ? " (this looks like a Python program: tristate runs the doctest examples "
                                "of a file, as in Cloudflare's quiz_N.py, not its functions)"
                              : ""));
    }
    return q;
  }

 private:
  [[noreturn]] void fail(int line, int col, const std::string& msg) const {
    throw ParseError(file_, Loc{line, col}, msg);
  }

  // -- header --
  void once(const std::string& key, int line_no, int col) {
    auto [it, fresh] = first_seen_.emplace(key, line_no);
    if (!fresh)
      fail(line_no, col, "found a second '" + key + "' (the first is at line " +
                             std::to_string(it->second) + "), expected it once");
  }

  int header_int(const Word& w, const std::string& what, int lo, int hi, int line_no) const {
    int v = 0;
    auto [p, ec] = std::from_chars(w.text.data(), w.text.data() + w.text.size(), v);
    if (ec != std::errc() || p != w.text.data() + w.text.size())
      fail(line_no, w.col, "found '" + w.text + "', expected " + what + " (an integer " +
                               std::to_string(lo) + ".." + std::to_string(hi) + ")");
    if (v < lo || v > hi)
      fail(line_no, w.col, "found " + w.text + ", expected " + what + " in " + std::to_string(lo) +
                               ".." + std::to_string(hi));
    return v;
  }

  void header(Quiz& q, const HeaderLine& h, int line_no) {
    const std::vector<Word> ws = words(h);
    auto need_text = [&] {
      if (h.value.empty())
        fail(line_no, h.value_col, "found an empty value, expected text after '" + h.key + ":'");
    };
    if (h.key == "title" || h.key == "source" || h.key == "lesson") {
      once(h.key, line_no, h.key_col);
      need_text();
      (h.key == "title" ? q.title : h.key == "source" ? q.source : q.lesson) = h.value;
    } else if (h.key == "note") {
      // Free text for readers of the file (e.g. which kernel showed what); not part of the model.
    } else if (h.key == "port-range") {
      once(h.key, line_no, h.key_col);
      if (ws.size() != 2)
        fail(line_no, ws.size() > 2 ? ws[2].col : h.value_col + static_cast<int>(h.value.size()),
             "found " + std::to_string(ws.size()) + " value" + (ws.size() == 1 ? "" : "s") +
                 ", expected 'port-range: LO HI'");
      int lo = header_int(ws[0], "the low port", 1, 65535, line_no);
      int hi = header_int(ws[1], "the high port", 1, 65535, line_no);
      if (lo > hi)
        fail(line_no, ws[1].col, "found HI " + ws[1].text + " below LO " + ws[0].text +
                                     ", expected LO <= HI");
      q.setup.port_lo = lo;
      q.setup.port_hi = hi;
    } else if (h.key == "listen") {
      listen(q, h, ws, line_no);
    } else if (h.key == "address") {
      address(q, h, ws, line_no);
    } else if (h.key == "sysctl") {
      sysctl(q, h, ws, line_no);
    } else {
      fail(line_no, h.key_col, "found unknown header key '" + h.key + "', expected one of " +
                                   std::string(kHeaderKeys));
    }
  }

  void listen(Quiz& q, const HeaderLine& h, const std::vector<Word>& ws, int line_no) {
    if (ws.size() == 1 && ws[0].text == "none") {
      if (listen_given_ && !listen_none_)
        fail(line_no, ws[0].col, "found 'none' after other listen lines, expected either "
                                 "'listen: none' or listeners");
      listen_none_ = true;
      listen_given_ = true;
      q.setup.listeners.clear();
      return;
    }
    if (listen_none_)
      fail(line_no, h.value_col, "found a listener after 'listen: none', expected no listeners");
    if (ws.size() != 2)
      fail(line_no, ws.size() > 2 ? ws[2].col : h.value_col + static_cast<int>(h.value.size()),
           "found " + std::to_string(ws.size()) + " value" + (ws.size() == 1 ? "" : "s") +
               ", expected 'listen: ADDR PORT' or 'listen: none'");
    if (!is_v4(ws[0].text) && !is_v6(ws[0].text))
      fail(line_no, ws[0].col, "found '" + ws[0].text +
                                   "', expected an IPv4 or IPv6 address literal (0.0.0.0, ::)");
    int port = header_int(ws[1], "a port", 0, 65535, line_no);
    if (!listen_given_) q.setup.listeners.clear();  // the first listen replaces the default
    listen_given_ = true;
    q.setup.listeners.push_back(Listener{ws[0].text, port});
  }

  void address(Quiz& q, const HeaderLine& h, const std::vector<Word>& ws, int line_no) {
    if (ws.size() != 1)
      fail(line_no, ws.empty() ? h.value_col : ws[1].col,
           "found " + std::to_string(ws.size()) + " values, expected 'address: ADDR/PREFIX'");
    const std::string& v = ws[0].text;
    const auto slash = v.find('/');
    const std::string addr = v.substr(0, slash);
    const bool v6 = is_v6(addr);
    if (!v6 && !is_v4(addr))
      fail(line_no, ws[0].col, "found '" + addr + "', expected an IPv4 or IPv6 address literal");
    const int max = v6 ? 128 : 32;
    int prefix = max;
    if (slash != std::string::npos)
      prefix = header_int(Word{v.substr(slash + 1), ws[0].col + static_cast<int>(slash) + 1},
                          "a prefix length", 0, max, line_no);
    q.setup.lo_addresses.push_back(addr + "/" + std::to_string(prefix));
  }

  void sysctl(Quiz& q, const HeaderLine& h, const std::vector<Word>& ws, int line_no) {
    if (ws.size() < 2)
      fail(line_no, h.value_col + static_cast<int>(h.value.size()),
           "found " + std::to_string(ws.size()) + " value" + (ws.size() == 1 ? "" : "s") +
               ", expected 'sysctl: net.KEY VALUE'");
    const std::string& key = ws[0].text;
    // Only net.*: those live in the quiz's own network namespace; anything else is global.
    bool ok = starts_with(key, "net.") && key.size() > 4 && key.back() != '.';
    for (std::size_t i = 0; ok && i < key.size(); ++i) {
      char c = key[i];
      bool word = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
      if (c == '.') ok = i > 0 && key[i - 1] != '.';
      else ok = word;
    }
    if (!ok)
      fail(line_no, ws[0].col, "found '" + key + "', expected a net.* sysctl key such as "
                               "net.ipv4.ip_autobind_reuse (only net.* keys are per namespace)");
    if (key == "net.ipv4.ip_local_port_range")
      fail(line_no, ws[0].col, "found net.ipv4.ip_local_port_range, expected 'port-range: LO HI' "
                               "for it");
    std::string value = h.value.substr(static_cast<std::size_t>(ws[1].col - h.value_col));
    q.setup.sysctls.emplace_back(key, std::string(trim(value)));
  }

  // -- examples --
  // Parses the example at line index i and its expected output; returns the next line index.
  std::size_t example(Quiz& q, std::size_t i) {
    std::string_view line = lines_[i];
    const int line_no = static_cast<int>(i) + 1;
    const std::size_t indent = indent_of(line);
    const std::size_t after = indent + 3;
    std::vector<std::string_view> want;
    std::size_t j = i + 1;
    for (; j < lines_.size(); ++j) {
      std::string_view l = lines_[j];
      if (is_blank(l) || is_example_line(l) || is_docstring_end(l)) break;
      // Strip the example's own indentation, as doctest does.
      std::size_t cut = std::min(indent, indent_of(l));
      want.push_back(l.substr(cut));
    }
    if (is_blank(line.substr(after))) {
      if (!want.empty())
        fail(line_no + 1, 1, "found expected output after a bare '>>>', expected a statement on "
                             "the '>>>' line");
      return j;
    }
    // doctest expands tabs first, so '>>>' and a tab is a prompt there too
    if (line[after] != ' ' && line[after] != '\t')
      fail(line_no, static_cast<int>(after) + 1,
           "found " + util::describe_char_at(line, after) + " right after '>>>', expected a space");
    std::size_t start = after;
    while (start < line.size() && (line[start] == ' ' || line[start] == '\t')) ++start;
    if (line[start] == '#') {
      comment_example(q, line, start, line_no, want);
      return j;
    }

    // doctest's '...' lines continue the statement (PS2): a call split over lines, as Black
    // writes long ones. They are joined by a space after each line's comment is cut (the
    // lexer ends a statement at '#'); `segments` maps a column of the joined text back to
    // its line for errors.
    std::string joined;
    std::vector<Segment> segments;
    std::size_t continued = 0;
    while (continued < want.size() && (want[continued] == "..." || starts_with(want[continued], "..."))) {
      const std::string_view raw = lines_[i + 1 + continued];
      const std::size_t dots = indent_of(raw);
      if (raw.size() > dots + 3 && raw[dots + 3] != ' ' && raw[dots + 3] != '\t')
        fail(line_no + static_cast<int>(continued) + 1, static_cast<int>(dots) + 4,
             "found " + util::describe_char_at(raw, dots + 3) + " right after '...', expected a space");
      if (joined.empty()) joined = std::string(code_part(line));
      std::size_t from = dots + 3;
      while (from < raw.size() && (raw[from] == ' ' || raw[from] == '\t')) ++from;
      const std::string_view code = code_part(raw.substr(from));
      if (!trim(code).empty()) {
        joined += ' ';
        segments.push_back({joined.size(), line_no + static_cast<int>(continued) + 1, static_cast<int>(from) + 1});
        joined += std::string(code);
      }
      ++continued;
    }
    want.erase(want.begin(), want.begin() + static_cast<std::ptrdiff_t>(continued));

    if (q.steps.empty() && !names_.types.count("ln")) {
      // Cloudflare's quiz_common.py hands the first listener to the examples as `ln`.
      NameTable::Type ln = NameTable::Type::Value;  // None when there is no listener
      if (!q.setup.listeners.empty())
        ln = is_v6(q.setup.listeners[0].addr) ? NameTable::Type::SocketV6
                                              : NameTable::Type::SocketV4;
      names_.bind("ln", ln);
    }
    Statement st;
    st.loc = Loc{line_no, static_cast<int>(start) + 1};
    const std::string_view source = continued ? std::string_view(joined) : line;
    st.text = std::string(trim(source.substr(start)));
    try {
      parse_statement(source, start, file_, line_no, names_, st);
    } catch (const ParseError& e) {
      if (segments.empty() || e.loc().column <= static_cast<int>(segments.front().offset)) throw;
      const Segment* seg = &segments.front();
      for (const auto& sg : segments)
        if (static_cast<std::size_t>(e.loc().column) > sg.offset) seg = &sg;
      const std::string what = e.what();
      const std::string prefix = file_ + ":" + std::to_string(e.loc().line) + ":" + std::to_string(e.loc().column) + ": ";
      fail(seg->line, seg->column + (e.loc().column - 1 - static_cast<int>(seg->offset)),
           what.rfind(prefix, 0) == 0 ? what.substr(prefix.size()) : what);
    }
    st.expect = expectation(want, static_cast<int>(i + continued) + 2, indent);
    q.steps.push_back(std::move(st));
    return j;
  }

  // Where a '...' line's code starts in the joined statement (0-based) and in the file.
  struct Segment {
    std::size_t offset;
    int line, column;
  };

  // A line up to its comment: the first '#' outside a string literal.
  static std::string_view code_part(std::string_view l) {
    char quote = 0;
    for (std::size_t k = 0; k < l.size(); ++k) {
      const char c = l[k];
      if (quote) {
        if (c == '\\') ++k;
        else if (c == quote) quote = 0;
      } else if (c == '\'' || c == '"') {
        quote = c;
      } else if (c == '#') {
        return l.substr(0, k);
      }
    }
    return l;
  }

  // `>>> # text`: a comment to doctest, or a state assertion about the statement before it.
  void comment_example(Quiz& q, std::string_view line, std::size_t hash, int line_no,
                       const std::vector<std::string_view>& want) {
    if (auto sa = parse_state_assert(line, hash, file_, line_no)) {
      if (q.steps.empty())
        fail(line_no, static_cast<int>(hash) + 1,
             "found a state assertion before any statement, expected it after the statement "
             "whose effect it describes");
      q.steps.back().state_asserts.push_back(std::move(*sa));
    }
    if (!want.empty())
      fail(line_no + 1, 1, "found expected output after a comment-only example, expected a "
                           "statement on the '>>>' line (a comment prints nothing)");
  }

  Expect expectation(const std::vector<std::string_view>& want, int first_line, std::size_t indent) {
    Expect e;
    if (want.empty()) return e;
    const int col0 = static_cast<int>(indent) + 1;
    std::string_view first = want[0];
    if (starts_with(first, "Traceback (most recent call last):") ||
        starts_with(first, "Traceback (innermost last):"))
      return error_expectation(want, first_line, col0);
    if (exception_line(first))
      fail(first_line, col0, "found an exception line without a traceback header, expected "
                             "'Traceback (most recent call last):' before it");
    e.kind = Expect::Kind::Output;
    for (std::size_t k = 0; k < want.size(); ++k) {
      if (k) e.text += '\n';
      e.text += std::string(want[k]);
    }
    while (!e.text.empty() && (e.text.back() == ' ' || e.text.back() == '\t')) e.text.pop_back();
    return e;
  }

  // The last line of a traceback, as Python prints it: "OSError: [Errno 99] Cannot assign
  // requested address" gives errno 99 (matched by number, whatever the text); "ValueError:
  // too many values to unpack (expected 2)" or "struct.error: ..." gives 0 (matched as text).
  static std::optional<int> exception_line(std::string_view l) {
    std::size_t p = 0;
    while (p < l.size() && (std::isalnum(static_cast<unsigned char>(l[p])) || l[p] == '_' ||
                            l[p] == '.'))
      ++p;
    std::string_view name = l.substr(0, p);
    auto ends = [&](std::string_view tail) {
      return name.size() >= tail.size() && name.substr(name.size() - tail.size()) == tail;
    };
    const bool module_error = ends("error") && name.find('.') != std::string_view::npos;
    if (!(ends("Error") || module_error || ends("Exception")) || name.front() == '.')
      return std::nullopt;
    std::string_view rest = l.substr(p);
    if (rest.empty()) return 0;
    if (!starts_with(rest, ": ")) return std::nullopt;
    if (!starts_with(rest, ": [Errno ")) return 0;
    rest.remove_prefix(9);
    int err = 0;
    auto [q, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), err);
    if (ec != std::errc() || q == rest.data() || *q != ']' || err == 0 || err > 4095)
      return std::nullopt;
    // socket.gaierror's EAI_* numbers are negative and not errnos: matched as text.
    return err < 0 ? 0 : err;
  }

  Expect error_expectation(const std::vector<std::string_view>& want, int first_line, int col0) {
    Expect e;
    e.kind = Expect::Kind::Error;
    std::size_t k = 1;
    // The traceback body: indented frames or doctest's "..." ellipsis.
    while (k < want.size() && (is_blank(want[k].substr(0, 1)) || trim(want[k]) == "..."))
      ++k;
    if (k >= want.size())
      fail(first_line, col0, "found a traceback without an exception line, expected a line such "
                             "as 'OSError: [Errno 99] Cannot assign requested address'");
    auto err = exception_line(want[k]);
    if (!err)
      fail(first_line + static_cast<int>(k), col0,
           "found '" + std::string(trim(want[k])) +
               "', expected an exception line such as 'OSError: [Errno 99] Cannot assign "
               "requested address'");
    if (k + 1 < want.size())
      fail(first_line + static_cast<int>(k) + 1, col0,
           "found more output after the exception line, expected a blank line or the next '>>>'");
    e.err = *err;
    e.text = std::string(trim(want[k]));
    return e;
  }

  const std::string& file_;
  std::vector<std::string_view> lines_;
  std::map<std::string, int> first_seen_;
  bool listen_given_ = false;
  bool listen_none_ = false;
  NameTable names_;
};

std::vector<std::string> quizzes_in(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.is_regular_file() && entry.path().extension() == ".quiz")
      out.push_back(entry.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

Quiz parse_quiz(std::string_view text, const std::string& file) {
  return FileParser(text, file).parse();
}

Quiz load_quiz(const std::string& path) {
  // A quiz is a page of text; the bound keeps a wrong path (a log, an image, /dev/zero) from
  // being read whole before the first line is refused.
  constexpr std::size_t kMaxQuizBytes = 16u << 20;
  const bool from_stdin = path == kStdinQuiz;
  auto text = util::read_bounded(from_stdin ? "/dev/stdin" : path, kMaxQuizBytes);
  if (!text) {
    if (from_stdin) throw std::runtime_error("<stdin>: " + text.error().message.substr(text.error().message.find(':') + 2));
    throw std::runtime_error(text.error().message);  // names the path and the size
  }
  if (!from_stdin) return parse_quiz(text.value(), path);
  Quiz q = parse_quiz(text.value(), "<stdin>");  // errors read "<stdin>:3:5: …", as Python's
  q.name = "stdin";
  return q;
}

bool is_stream_quiz(const std::string& path) {
  std::error_code ec;
  return path == kStdinQuiz || !fs::is_regular_file(path, ec);
}

std::vector<std::string> resolve_quiz_paths(const std::vector<std::string>& names,
                                            const std::string& quiz_dir) {
  std::error_code ec;
  if (names.empty()) {
    if (!fs::is_directory(quiz_dir, ec))
      throw std::runtime_error("quiz directory " + quiz_dir + " does not exist");
    auto all = quizzes_in(quiz_dir);
    if (all.empty()) throw std::runtime_error("no *.quiz files in " + quiz_dir);
    return all;
  }
  std::vector<std::string> out;
  for (const auto& name : names) {
    if (fs::is_directory(name, ec)) {
      auto all = quizzes_in(name);
      if (all.empty()) throw std::runtime_error("no *.quiz files in " + name);
      out.insert(out.end(), all.begin(), all.end());
      continue;
    }
    if (fs::is_regular_file(name, ec)) {
      out.push_back(name);
      continue;
    }
    // "-", a pipe (`<(curl …)`, /dev/stdin) or a device: read once, bounded, by load_quiz
    if (name == kStdinQuiz || (fs::exists(name, ec) && !fs::is_directory(name, ec))) {
      out.push_back(name);
      continue;
    }
    if (name.find('/') != std::string::npos)  // a path, not a quiz name: no lookup to explain
      throw std::runtime_error(name + ": no such file");
    const fs::path by_name = fs::path(quiz_dir) / (name + ".quiz");
    if (fs::is_regular_file(by_name, ec)) {
      out.push_back(by_name.string());
      continue;
    }
    std::string known;
    if (fs::is_directory(quiz_dir, ec))
      for (const auto& p : quizzes_in(quiz_dir))
        known += (known.empty() ? "" : ", ") + fs::path(p).stem().string();
    throw std::runtime_error("no quiz '" + name + "': not a file, and no " + by_name.string() +
                             (known.empty() ? std::string() : " (known quizzes: " + known + ")"));
  }
  return out;
}

}  // namespace tristate::quiz
