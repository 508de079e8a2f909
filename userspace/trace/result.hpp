// A value or an error, for constructors that can fail (C++20 has no std::expected).
// Non-trivial failures carry a message written for the user (mechanism, errno, requirement,
// fix) and, for the tracer, the probe report gathered before giving up.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

namespace tristate::trace {

struct Error {
  std::string message;
};

template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}          // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}      // NOLINT
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() {
    if (!ok()) throw std::runtime_error(error().message);
    return std::get<0>(v_);
  }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

}  // namespace tristate::trace
