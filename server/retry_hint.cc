#include "server/retry_hint.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace evstore::server {
namespace {

constexpr char kRetryAfterPayload[] = "type.evstore.dev/retry-after-ms";

}  // namespace

absl::Status WithRetryAfter(absl::Status status, absl::Duration wait) {
  const int64_t ms = std::max<int64_t>(
      1, static_cast<int64_t>(std::ceil(absl::ToDoubleMilliseconds(wait))));
  status.SetPayload(kRetryAfterPayload, absl::Cord(absl::StrCat(ms)));
  return status;
}

std::optional<int64_t> RetryAfterMs(const absl::Status& status) {
  auto payload = status.GetPayload(kRetryAfterPayload);
  if (!payload) return std::nullopt;
  int64_t ms = 0;
  if (!absl::SimpleAtoi(std::string(*payload), &ms)) return std::nullopt;
  return ms;
}

void AddRetryAfterTrailer(const absl::Status& status,
                          grpc::ServerContextBase* context) {
  if (std::optional<int64_t> ms = RetryAfterMs(status)) {
    context->AddTrailingMetadata(kRetryAfterMetadataKey, absl::StrCat(*ms));
  }
}

}  // namespace evstore::server
