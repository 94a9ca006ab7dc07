#pragma once
// Concord's error model: every fallible call returns Result<T> (std::expected<T, Error>).
//
// The code says what the caller should do next; the message says what was wrong in words an
// administrator can act on. For bad input, `field` names the offending field or argument and
// `accepted` lists the values that would have been accepted.
//
//   Result<Community> c = store.Find(uuid);
//   if (!c) return std::unexpected(c.error());
//   CONCORD_ASSIGN_OR_RETURN(auto community, store.Find(uuid));
//   CONCORD_RETURN_IF_ERROR(store.Save(community));

#include <expected>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace concord {

// Canonical codes, chosen by what the caller should do next.
enum class ErrorCode {
  kInvalidArgument,     // fix the input
  kNotFound,            // the thing does not exist (or is invisible to the caller)
  kAlreadyExists,       // the thing exists already
  kFailedPrecondition,  // the system is not in a state that allows this (fix state first)
  kAborted,             // a conflict with a concurrent change: retry the whole operation
  kUnavailable,         // transient: retry later
  kDeadlineExceeded,    // took too long: retry later, maybe with a smaller request
  kPermissionDenied,    // authenticated, but not allowed
  kUnauthenticated,     // who are you?
  kInternal,            // a bug or an unexpected environment failure: give up, report it
};

// "INVALID_ARGUMENT", "NOT_FOUND", ...: the spelling used on the wire and in logs.
std::string_view ErrorCodeName(ErrorCode code);

struct [[nodiscard]] Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  std::string field;                  // optional: the field or argument that was wrong
  std::vector<std::string> accepted;  // optional: the values that are accepted there

  // "NOT_FOUND: community 1234 does not exist"
  std::string ToString() const;
};

template <typename T>
using Result = std::expected<T, Error>;

// Result<void> under a name that reads well.
using Status = std::expected<void, Error>;

inline Status Ok() { return {}; }

// Builders: return std::unexpected so they can be returned from any Result<T> function.
std::unexpected<Error> MakeError(ErrorCode code, std::string message);
std::unexpected<Error> InvalidArgument(std::string field, std::string message,
                                       std::vector<std::string> accepted = {});
std::unexpected<Error> NotFound(std::string message);
std::unexpected<Error> AlreadyExists(std::string message);
std::unexpected<Error> FailedPrecondition(std::string message);
std::unexpected<Error> PermissionDenied(std::string message);
std::unexpected<Error> Unauthenticated(std::string message);
std::unexpected<Error> Unavailable(std::string message);
std::unexpected<Error> Internal(std::string message);

}  // namespace concord

#define CONCORD_CONCAT_INNER_(a, b) a##b
#define CONCORD_CONCAT_(a, b) CONCORD_CONCAT_INNER_(a, b)

// Returns the error of a Status/Result expression from the enclosing function.
#define CONCORD_RETURN_IF_ERROR(expr)                             \
  do {                                                            \
    auto&& concord_status_ = (expr);                              \
    if (!concord_status_) {                                       \
      return std::unexpected(std::move(concord_status_).error()); \
    }                                                             \
  } while (false)

// Evaluates a Result<T> expression; on error returns it, otherwise binds the value to `lhs`.
// Expands to several statements: inside an `if`, use braces.
#define CONCORD_ASSIGN_OR_RETURN(lhs, expr) \
  CONCORD_ASSIGN_OR_RETURN_IMPL_(CONCORD_CONCAT_(concord_result_, __LINE__), lhs, expr)
#define CONCORD_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr)      \
  auto tmp = (expr);                                        \
  if (!tmp) return std::unexpected(std::move(tmp).error()); \
  lhs = std::move(*tmp)
