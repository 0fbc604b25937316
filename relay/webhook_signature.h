// The webhook signature (docs/relay.md, "Signature"): HMAC-SHA256 over
// "<timestamp>.<body>" with the sink's secret, sent as
// "X-Evstore-Signature: v1=<lowercase hex>" next to
// "X-Evstore-Timestamp: <unix seconds>".
#ifndef EVSTORE_RELAY_WEBHOOK_SIGNATURE_H_
#define EVSTORE_RELAY_WEBHOOK_SIGNATURE_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace evstore::relay {

inline constexpr absl::string_view kSignatureHeader = "X-Evstore-Signature";
inline constexpr absl::string_view kTimestampHeader = "X-Evstore-Timestamp";

// The value of the signature header: "v1=" and the hex HMAC-SHA256 of
// `timestamp_seconds` (decimal), ".", and `body`, keyed with `secret`.
std::string WebhookSignature(absl::string_view secret,
                             std::int64_t timestamp_seconds,
                             absl::string_view body);

// Whether `signature_header` is the right signature (constant-time compare).
// What a receiver does; the relay's tests use it.
bool VerifyWebhookSignature(absl::string_view secret,
                            std::int64_t timestamp_seconds,
                            absl::string_view body,
                            absl::string_view signature_header);

}  // namespace evstore::relay

#endif  // EVSTORE_RELAY_WEBHOOK_SIGNATURE_H_
