// What Python would print: repr() of the values the quiz subset produces, the exception line
// a failing socket call raises, and doctest's comparison of that output with the expectation.
// Pure functions, so the runner's output format is tested without any namespace or socket.
#pragma once

#include <sys/socket.h>

#include <string>
#include <string_view>
#include <vector>

#include "quiz/quiz.hpp"

namespace tristate::quiz {

// A Python value as the quiz subset produces it.
struct PyValue {
  enum class Kind { None, Int, Str, Bytes, Tuple, Socket, Raw };
  Kind kind = Kind::None;
  long long i = 0;  // Int: the value; Socket: the runner's handle for the socket object
  std::string s;    // Str: the string; Bytes: the bytes; Raw: text printed verbatim
  std::vector<PyValue> items;

  static PyValue none() { return {}; }
  static PyValue integer(long long v);
  static PyValue str(std::string v);
  static PyValue tuple(std::vector<PyValue> v);
  static PyValue raw(std::string text);
  static PyValue bytes(std::string v);
  static PyValue socket(long long handle);

  // Python's type name, as error messages spell it: int, str, bytes, tuple, socket, NoneType.
  std::string_view type_name() const;
};

// repr(v): None, 60000, b'\x01', (a socket needs the runner: "<socket.socket>" here), '127.0.0.1', (('127.1.1.1', 60000), ('127.9.9.9', 1234)), (x,).
std::string repr(const PyValue& v);

// repr() of a bytes object: b'\x01\x00'.
std::string py_bytes_repr(std::string_view b);

// repr() of a str: single quotes unless the text holds ' and no ", escapes like CPython.
std::string py_str_repr(std::string_view s);

// getsockname()/getpeername() result: AF_INET ('127.0.0.1', 60000),
// AF_INET6 ('::1', 60000, 0, 0) (flowinfo and scope id, as Python returns them).
PyValue sockaddr_to_py(const sockaddr* sa, socklen_t len);

// The OSError subclass Python raises for an errno (PEP 3151): ConnectionRefusedError for
// ECONNREFUSED, PermissionError for EPERM/EACCES, ...; plain OSError otherwise.
std::string_view os_error_class(int err);

// The message Python shows: glibc's strerror text, fixed here for the errnos quizzes meet so
// neither the locale nor another libc can change it; strerror() for the rest.
std::string os_error_message(int err);

// The last line of the traceback: "OSError: [Errno 99] Cannot assign requested address".
std::string os_error_line(int err);

// Trailing whitespace removed from every line, trailing empty lines dropped.
std::string trim_trailing_ws(std::string_view text);

// What one `>>>` statement did, as doctest sees it.
struct Printed {
  bool raised = false;
  int err = 0;         // errno of the OSError raised (0 for other exceptions)
  std::string text;    // the value's repr (empty for None) or the exception line
};

// doctest semantics: Nothing expects no output and no exception; Output compares the text
// (trailing whitespace per line ignored); Error matches when the statement raised an OSError
// with the expected errno (or, with no errno expected, when the exception line is the same).
bool doctest_matches(const Expect& expect, const Printed& printed);

}  // namespace tristate::quiz
