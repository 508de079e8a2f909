#include "quiz/pyrepr.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace tristate::quiz {

PyValue PyValue::integer(long long v) {
  PyValue p;
  p.kind = Kind::Int;
  p.i = v;
  return p;
}

PyValue PyValue::str(std::string v) {
  PyValue p;
  p.kind = Kind::Str;
  p.s = std::move(v);
  return p;
}

PyValue PyValue::tuple(std::vector<PyValue> v) {
  PyValue p;
  p.kind = Kind::Tuple;
  p.items = std::move(v);
  return p;
}

PyValue PyValue::raw(std::string text) {
  PyValue p;
  p.kind = Kind::Raw;
  p.s = std::move(text);
  return p;
}

PyValue PyValue::bytes(std::string v) {
  PyValue p;
  p.kind = Kind::Bytes;
  p.s = std::move(v);
  return p;
}

PyValue PyValue::socket(long long handle) {
  PyValue p;
  p.kind = Kind::Socket;
  p.i = handle;
  return p;
}

std::string_view PyValue::type_name() const {
  switch (kind) {
    case Kind::None: return "NoneType";
    case Kind::Int: return "int";
    case Kind::Str: return "str";
    case Kind::Bytes: return "bytes";
    case Kind::Tuple: return "tuple";
    case Kind::Socket:
    case Kind::Raw: return "socket";
  }
  return "object";
}

namespace {

// Python's repr quoting, shared by bytes and str: single quotes unless the text holds a single
// quote and no double one. The two differ only in bytes >= 0x80: bytes escape them (\xNN),
// str passes them through (quiz strings are UTF-8, and Python prints printable non-ASCII
// characters as they are).
std::string quoted_repr(std::string_view text, std::string out, bool escape_high) {
  const bool has_single = text.find('\'') != std::string_view::npos;
  const bool has_double = text.find('"') != std::string_view::npos;
  const char quote = (has_single && !has_double) ? '"' : '\'';
  out += quote;
  for (unsigned char c : text) {
    if (c == static_cast<unsigned char>(quote) || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f || (escape_high && c > 0x7f)) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += quote;
  return out;
}

}  // namespace

std::string py_bytes_repr(std::string_view b) { return quoted_repr(b, "b", true); }

std::string py_str_repr(std::string_view s) { return quoted_repr(s, "", false); }

std::string repr(const PyValue& v) {
  switch (v.kind) {
    case PyValue::Kind::None:
      return "None";
    case PyValue::Kind::Int:
      return std::to_string(v.i);
    case PyValue::Kind::Str:
      return py_str_repr(v.s);
    case PyValue::Kind::Raw:
      return v.s;
    case PyValue::Kind::Bytes:
      return py_bytes_repr(v.s);
    case PyValue::Kind::Socket:
      return "<socket.socket>";
    case PyValue::Kind::Tuple: {
      std::string out = "(";
      for (std::size_t k = 0; k < v.items.size(); ++k) {
        if (k) out += ", ";
        out += repr(v.items[k]);
      }
      if (v.items.size() == 1) out += ",";  // (x,) is how Python spells a 1-tuple
      out += ")";
      return out;
    }
  }
  return "None";
}

PyValue sockaddr_to_py(const sockaddr* sa, socklen_t len) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (sa->sa_family == AF_INET && len >= sizeof(sockaddr_in)) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf);
    return PyValue::tuple({PyValue::str(buf), PyValue::integer(ntohs(in->sin_port))});
  }
  if (sa->sa_family == AF_INET6 && len >= sizeof(sockaddr_in6)) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof buf);
    return PyValue::tuple({PyValue::str(buf), PyValue::integer(ntohs(in6->sin6_port)),
                           PyValue::integer(ntohl(in6->sin6_flowinfo)),
                           PyValue::integer(in6->sin6_scope_id)});
  }
  // Python returns the raw family number and bytes for families it does not decode; the
  // quiz subset only creates AF_INET/AF_INET6 sockets, so this is unreachable in practice.
  return PyValue::tuple({PyValue::integer(sa->sa_family), PyValue::str("")});
}

std::string_view os_error_class(int err) {
  switch (err) {
    case EAGAIN:
    case EALREADY:
    case EINPROGRESS:
      return "BlockingIOError";
    case ECHILD:
      return "ChildProcessError";
    case EPIPE:
    case ESHUTDOWN:
      return "BrokenPipeError";
    case ECONNABORTED:
      return "ConnectionAbortedError";
    case ECONNREFUSED:
      return "ConnectionRefusedError";
    case ECONNRESET:
      return "ConnectionResetError";
    case EEXIST:
      return "FileExistsError";
    case ENOENT:
      return "FileNotFoundError";
    case EISDIR:
      return "IsADirectoryError";
    case ENOTDIR:
      return "NotADirectoryError";
    case EINTR:
      return "InterruptedError";
    case EACCES:
    case EPERM:
      return "PermissionError";
    case ESRCH:
      return "ProcessLookupError";
    case ETIMEDOUT:
      return "TimeoutError";
    default:
      return "OSError";
  }
}

std::string os_error_message(int err) {
  switch (err) {
    case EPERM: return "Operation not permitted";
    case EBADF: return "Bad file descriptor";
    case EACCES: return "Permission denied";
    case EINVAL: return "Invalid argument";
    case ENOPROTOOPT: return "Protocol not available";
    case EOPNOTSUPP: return "Operation not supported";
    case EAFNOSUPPORT: return "Address family not supported by protocol";
    case EADDRINUSE: return "Address already in use";
    case EADDRNOTAVAIL: return "Cannot assign requested address";
    case ENETUNREACH: return "Network is unreachable";
    case ECONNRESET: return "Connection reset by peer";
    case EISCONN: return "Transport endpoint is already connected";
    case ENOTCONN: return "Transport endpoint is not connected";
    case ETIMEDOUT: return "Connection timed out";
    case ECONNREFUSED: return "Connection refused";
    case EHOSTUNREACH: return "No route to host";
    case EALREADY: return "Operation already in progress";
    case EINPROGRESS: return "Operation now in progress";
    default: break;
  }
  char buf[128];
  // GNU strerror_r returns the message pointer (maybe not buf).
  const char* msg = strerror_r(err, buf, sizeof buf);
  return msg ? std::string(msg) : "Unknown error " + std::to_string(err);
}

std::string os_error_line(int err) {
  return std::string(os_error_class(err)) + ": [Errno " + std::to_string(err) + "] " +
         os_error_message(err);
}

std::string trim_trailing_ws(std::string_view text) {
  std::string out;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t nl = text.find('\n', pos);
    std::string_view line =
        text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    std::size_t end = line.find_last_not_of(" \t\r");
    out.append(line.substr(0, end == std::string_view::npos ? 0 : end + 1));
    if (nl == std::string_view::npos) break;
    out += '\n';
    pos = nl + 1;
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

bool doctest_matches(const Expect& expect, const Printed& printed) {
  switch (expect.kind) {
    case Expect::Kind::Nothing:
      return !printed.raised && trim_trailing_ws(printed.text).empty();
    case Expect::Kind::Output:
      return !printed.raised && trim_trailing_ws(printed.text) == trim_trailing_ws(expect.text);
    case Expect::Kind::Error:
      if (!printed.raised) return false;
      if (expect.err != 0) return printed.err == expect.err;
      return trim_trailing_ws(printed.text) == trim_trailing_ws(expect.text);
  }
  return false;
}

}  // namespace tristate::quiz
