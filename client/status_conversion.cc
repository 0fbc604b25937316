#include "client/status_conversion.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "client/retry_after.h"

namespace evstore::client {
namespace {

// gRPC and Abseil number their codes identically from OK (0) to
// UNAUTHENTICATED (16).
constexpr int kLastDefinedCode = 16;

bool IsDefinedCode(int code) { return code >= 0 && code <= kLastDefinedCode; }

}  // namespace

absl::Status FromGrpcStatus(const grpc::Status& status) {
  const int code = static_cast<int>(status.error_code());
  if (!IsDefinedCode(code)) {
    return absl::UnknownError(
        absl::StrCat("gRPC status code ", code, ": ", status.error_message()));
  }
  return absl::Status(static_cast<absl::StatusCode>(code),
                      status.error_message());
}

absl::Status FromAppendError(const v1::AppendError& error) {
  if (error.code() == 0 || !IsDefinedCode(error.code())) {
    return absl::UnknownError(
        absl::StrCat("server reported an append error with code ", error.code(),
                     ": ", error.message()));
  }
  return WithRetryAfterMs(
      absl::Status(static_cast<absl::StatusCode>(error.code()),
                   error.message()),
      error.retry_after_ms());
}

}  // namespace evstore::client
