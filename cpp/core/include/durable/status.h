// Status and Result<T>: errors as values. No exception crosses a module boundary of the core;
// every fallible function returns a Status (or Result<T>) whose message names the id involved.
// Thread-safe: values, freely copied.
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace durable {

enum class StatusCode {
  kOk = 0,
  kNotFound,            // no such workflow / run / task
  kAlreadyExists,       // workflow id already running
  kInvalidArgument,     // bad input from a caller
  kFailedPrecondition,  // valid input, wrong state (e.g. workflow already closed)
  kNondeterminism,      // workflow code does not match its recorded history
  kResourceExhausted,   // a limit was hit (payload size, history length)
  kUnavailable,         // engine closed or shutting down
  kDeadlineExceeded,    // a wait ran out of time
  kCancelled,           // a wait was interrupted on purpose
  kInternal,            // storage failure or a bug
  kUnauthenticated,     // durable-server: no or unknown credentials (API key)
  kPermissionDenied,    // durable-server: the credentials do not cover this namespace
  kDataLoss,            // stored data is corrupt: opening would lose recorded work
};

const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status OK() { return Status(); }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status AlreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
  static Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
  static Status FailedPrecondition(std::string m) {
    return {StatusCode::kFailedPrecondition, std::move(m)};
  }
  static Status Nondeterminism(std::string m) { return {StatusCode::kNondeterminism, std::move(m)}; }
  static Status ResourceExhausted(std::string m) {
    return {StatusCode::kResourceExhausted, std::move(m)};
  }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status DeadlineExceeded(std::string m) {
    return {StatusCode::kDeadlineExceeded, std::move(m)};
  }
  static Status Cancelled(std::string m) { return {StatusCode::kCancelled, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
  static Status Unauthenticated(std::string m) {
    return {StatusCode::kUnauthenticated, std::move(m)};
  }
  static Status PermissionDenied(std::string m) {
    return {StatusCode::kPermissionDenied, std::move(m)};
  }
  static Status DataLoss(std::string m) { return {StatusCode::kDataLoss, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string ToString() const;  // "NotFound: workflow 'x' not found"

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// A value or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}               // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {}       // NOLINT: must not be OK

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace durable

// Propagates a non-OK Status to the caller.
#define DURABLE_RETURN_IF_ERROR(expr)         \
  do {                                        \
    ::durable::Status _st = (expr);           \
    if (!_st.ok()) return _st;                \
  } while (0)

#define DURABLE_CONCAT_INNER(a, b) a##b
#define DURABLE_CONCAT(a, b) DURABLE_CONCAT_INNER(a, b)
// `DURABLE_ASSIGN_OR_RETURN(auto x, Foo());`
#define DURABLE_ASSIGN_OR_RETURN(lhs, expr)                           \
  auto DURABLE_CONCAT(_res_, __LINE__) = (expr);                      \
  if (!DURABLE_CONCAT(_res_, __LINE__).ok())                          \
    return DURABLE_CONCAT(_res_, __LINE__).status();                  \
  lhs = std::move(DURABLE_CONCAT(_res_, __LINE__)).value()
