// A short name held inside the object: an event's kind, path, kernel function, comm and
// bhash2 address. The tracer's reader fills four or five per traced event, and with
// std::string each assignment went through its general replace (~80 instructions,
// callgrind); a Name is a fixed copy of its bytes. Every name tristate records is below the
// capacity (kernel function names here are up to 25 characters, a comm 15, an address 45).
#pragma once

#include <algorithm>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace tristate::report {

class Name {
 public:
  static constexpr std::size_t kCapacity = 47;

  constexpr Name() = default;
  // Longer than kCapacity: std::length_error naming it (a document from elsewhere).
  constexpr Name(std::string_view v) { assign(v); }
  constexpr Name(const char* s) : Name(std::string_view(s)) {}
  Name(const std::string& s) : Name(std::string_view(s)) {}

  constexpr void assign(std::string_view v) {
    if (v.size() > kCapacity)
      throw std::length_error("name longer than " + std::to_string(kCapacity) + " characters: \"" +
                              std::string(v.substr(0, kCapacity)) + "...\"");
    std::copy(v.begin(), v.end(), buf_);
    std::fill(buf_ + v.size(), buf_ + sizeof(buf_), '\0');
    len_ = static_cast<std::uint8_t>(v.size());
  }

  // From text already laid out as a Name holds it: `len` characters, then zeros to the end of
  // `padded`. One fixed copy, where assign() copies and zero-fills by length (the tracer's
  // reader formats each bhash2 address this way).
  void assign_padded(const char (&padded)[kCapacity + 1], std::size_t len) {
    std::copy(padded, padded + sizeof(buf_), buf_);
    len_ = static_cast<std::uint8_t>(std::min(len, kCapacity));
  }

  constexpr std::string_view view() const { return {buf_, len_}; }
  constexpr operator std::string_view() const { return view(); }
  std::string str() const { return std::string(view()); }
  constexpr const char* c_str() const { return buf_; }  // always NUL-terminated
  constexpr bool empty() const { return len_ == 0; }
  constexpr std::size_t size() const { return len_; }
  constexpr bool starts_with(std::string_view p) const { return view().starts_with(p); }

  friend constexpr bool operator==(const Name& a, const Name& b) { return a.view() == b.view(); }
  friend constexpr bool operator==(const Name& a, std::string_view b) { return a.view() == b; }
  friend constexpr bool operator==(const Name& a, const char* b) { return a.view() == std::string_view(b); }
  friend bool operator==(const Name& a, const std::string& b) { return a.view() == b; }
  friend constexpr std::strong_ordering operator<=>(const Name& a, const Name& b) {
    return a.view() <=> b.view();
  }
  friend std::ostream& operator<<(std::ostream& os, const Name& n) { return os << n.view(); }
  friend std::string operator+(const std::string& a, const Name& b) { return a + std::string(b.view()); }
  friend std::string operator+(const Name& a, const std::string& b) { return std::string(a.view()) + b; }

 private:
  // Zero past the name, so that copying the whole array is all an assignment from another
  // Name is, and two equal names are equal bytes.
  char buf_[kCapacity + 1] = {};
  std::uint8_t len_ = 0;
};

}  // namespace tristate::report
