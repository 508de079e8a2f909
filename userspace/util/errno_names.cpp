#include "util/errno_names.hpp"

#include <cerrno>
#include <utility>

namespace tristate::util {
namespace {

struct Entry {
  int err;
  std::string_view name;
};

// Built from the libc macros themselves so the numbers can never drift from the headers.
#define TS_E(n) Entry{n, #n}
constexpr Entry kEntries[] = {
    TS_E(EPERM), TS_E(ENOENT), TS_E(ESRCH), TS_E(EINTR), TS_E(EIO), TS_E(ENXIO),
    TS_E(E2BIG), TS_E(ENOEXEC), TS_E(EBADF), TS_E(ECHILD), TS_E(EAGAIN), TS_E(ENOMEM),
    TS_E(EACCES), TS_E(EFAULT), TS_E(ENOTBLK), TS_E(EBUSY), TS_E(EEXIST), TS_E(EXDEV),
    TS_E(ENODEV), TS_E(ENOTDIR), TS_E(EISDIR), TS_E(EINVAL), TS_E(ENFILE), TS_E(EMFILE),
    TS_E(ENOTTY), TS_E(ETXTBSY), TS_E(EFBIG), TS_E(ENOSPC), TS_E(ESPIPE), TS_E(EROFS),
    TS_E(EMLINK), TS_E(EPIPE), TS_E(EDOM), TS_E(ERANGE), TS_E(EDEADLK), TS_E(ENAMETOOLONG),
    TS_E(ENOLCK), TS_E(ENOSYS), TS_E(ENOTEMPTY), TS_E(ELOOP), TS_E(ENOMSG), TS_E(EIDRM),
    TS_E(ECHRNG), TS_E(EL2NSYNC), TS_E(EL3HLT), TS_E(EL3RST), TS_E(ELNRNG), TS_E(EUNATCH),
    TS_E(ENOCSI), TS_E(EL2HLT), TS_E(EBADE), TS_E(EBADR), TS_E(EXFULL), TS_E(ENOANO),
    TS_E(EBADRQC), TS_E(EBADSLT), TS_E(EBFONT), TS_E(ENOSTR), TS_E(ENODATA), TS_E(ETIME),
    TS_E(ENOSR), TS_E(ENONET), TS_E(ENOPKG), TS_E(EREMOTE), TS_E(ENOLINK), TS_E(EADV),
    TS_E(ESRMNT), TS_E(ECOMM), TS_E(EPROTO), TS_E(EMULTIHOP), TS_E(EDOTDOT), TS_E(EBADMSG),
    TS_E(EOVERFLOW), TS_E(ENOTUNIQ), TS_E(EBADFD), TS_E(EREMCHG), TS_E(ELIBACC),
    TS_E(ELIBBAD), TS_E(ELIBSCN), TS_E(ELIBMAX), TS_E(ELIBEXEC), TS_E(EILSEQ),
    TS_E(ERESTART), TS_E(ESTRPIPE), TS_E(EUSERS), TS_E(ENOTSOCK), TS_E(EDESTADDRREQ),
    TS_E(EMSGSIZE), TS_E(EPROTOTYPE), TS_E(ENOPROTOOPT), TS_E(EPROTONOSUPPORT),
    TS_E(ESOCKTNOSUPPORT), TS_E(EOPNOTSUPP), TS_E(EPFNOSUPPORT), TS_E(EAFNOSUPPORT),
    TS_E(EADDRINUSE), TS_E(EADDRNOTAVAIL), TS_E(ENETDOWN), TS_E(ENETUNREACH),
    TS_E(ENETRESET), TS_E(ECONNABORTED), TS_E(ECONNRESET), TS_E(ENOBUFS), TS_E(EISCONN),
    TS_E(ENOTCONN), TS_E(ESHUTDOWN), TS_E(ETOOMANYREFS), TS_E(ETIMEDOUT),
    TS_E(ECONNREFUSED), TS_E(EHOSTDOWN), TS_E(EHOSTUNREACH), TS_E(EALREADY),
    TS_E(EINPROGRESS), TS_E(ESTALE), TS_E(EUCLEAN), TS_E(ENOTNAM), TS_E(ENAVAIL),
    TS_E(EISNAM), TS_E(EREMOTEIO), TS_E(EDQUOT), TS_E(ENOMEDIUM), TS_E(EMEDIUMTYPE),
    TS_E(ECANCELED), TS_E(ENOKEY), TS_E(EKEYEXPIRED), TS_E(EKEYREVOKED),
    TS_E(EKEYREJECTED), TS_E(EOWNERDEAD), TS_E(ENOTRECOVERABLE), TS_E(ERFKILL),
    TS_E(EHWPOISON),
};
constexpr Entry kAliases[] = {TS_E(EWOULDBLOCK), TS_E(EDEADLOCK), TS_E(ENOTSUP)};
#undef TS_E

}  // namespace

std::string_view errno_name(int err) {
  for (const auto& e : kEntries)
    if (e.err == err) return e.name;
  return {};
}

std::optional<int> errno_from_name(std::string_view name) {
  for (const auto& e : kEntries)
    if (e.name == name) return e.err;
  for (const auto& e : kAliases)
    if (e.name == name) return e.err;
  return std::nullopt;
}

std::string errno_label(int err) {
  auto n = errno_name(err);
  if (!n.empty()) return std::string(n);
  return "E?" + std::to_string(err);
}

}  // namespace tristate::util
