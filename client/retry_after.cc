#include "client/retry_after.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace evstore::client {
namespace {

constexpr char kPayload[] = "type.evstore.dev/retry-after-ms";
constexpr char kTrailer[] = "retry-after-ms";

}  // namespace

std::optional<absl::Duration> RetryAfter(const absl::Status& status) {
  auto payload = status.GetPayload(kPayload);
  uint64_t ms = 0;
  if (!payload || !absl::SimpleAtoi(std::string(*payload), &ms)) {
    return std::nullopt;
  }
  return absl::Milliseconds(static_cast<int64_t>(ms));
}

absl::Status WithRetryAfterMs(absl::Status status, uint64_t ms) {
  if (ms != 0 && !status.ok()) {
    status.SetPayload(kPayload, absl::Cord(absl::StrCat(ms)));
  }
  return status;
}

absl::Status WithRetryAfterFromTrailers(absl::Status status,
                                        const grpc::ClientContext& context) {
  const auto& trailers = context.GetServerTrailingMetadata();
  auto it = trailers.find(kTrailer);
  if (it == trailers.end()) return status;
  uint64_t ms = 0;
  if (!absl::SimpleAtoi(std::string(it->second.data(), it->second.size()),
                        &ms)) {
    return status;
  }
  return WithRetryAfterMs(std::move(status), ms);
}

}  // namespace evstore::client
