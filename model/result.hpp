#pragma once

// A value or an error, for pure code that must not throw across its API and
// must not link CAF (whose caf::expected would otherwise do).

#include <string>
#include <utility>
#include <variant>

namespace fabric {

/// What went wrong, precisely enough for a user to fix it: the file (if any),
/// the 1-based line (0 when unknown), and a sentence that says what is wrong
/// and what is allowed.
struct error {
  std::string message;
  std::string file;
  int line = 0;

  error() = default;
  error(std::string msg, std::string in_file = {}, int at_line = 0)
    : message(std::move(msg)), file(std::move(in_file)), line(at_line) {}

  /// "file:line: message", "file: message" or "message".
  std::string to_string() const {
    std::string out;
    if (!file.empty()) {
      out += file;
      if (line > 0)
        out += ":" + std::to_string(line);
      out += ": ";
    }
    return out + message;
  }
};

/// Either a T or an error. Never both, never neither.
template <class T>
class result {
public:
  result(T value) : data_(std::move(value)) {}
  result(error err) : data_(std::move(err)) {}

  bool ok() const { return data_.index() == 0; }
  explicit operator bool() const { return ok(); }

  /// REQUIRES: ok().
  T& value() & { return std::get<0>(data_); }
  const T& value() const& { return std::get<0>(data_); }
  T&& value() && { return std::get<0>(std::move(data_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  /// REQUIRES: !ok().
  const error& err() const { return std::get<1>(data_); }

private:
  std::variant<T, error> data_;
};

/// The result of an operation that returns nothing on success.
struct unit {};
using status = result<unit>;
inline status ok_status() { return unit{}; }

} // namespace fabric
