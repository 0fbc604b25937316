#include "bench/stamped_payload.h"

#include <chrono>

#include "absl/strings/str_format.h"
#include "bench/event_factory.h"

namespace evstore::bench {
namespace {

constexpr std::string_view kPrefix = "{\"sentNs\":\"";
constexpr std::size_t kDigits = 20;
// The prefix, the digits, the closing quote and the comma.
constexpr std::size_t kStampBytes = kPrefix.size() + kDigits + 2;

}  // namespace

std::int64_t MonotonicNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string StampedPayload(std::size_t bytes, int contract_number,
                           std::int64_t sent_ns) {
  if (bytes < kMinStampedPayloadBytes) bytes = kMinStampedPayloadBytes;
  // The rest: an object of bytes - kStampBytes + 1 bytes without its '{'.
  const std::string rest =
      MakeJsonPayload(bytes - kStampBytes + 1, contract_number);
  std::string payload(kPrefix);
  payload.append(kDigits, '0');
  payload += "\",";
  payload.append(rest, 1, std::string::npos);
  Restamp(payload, sent_ns);
  return payload;
}

void Restamp(std::string& payload, std::int64_t sent_ns) {
  const std::string digits =
      absl::StrFormat("%020d", sent_ns < 0 ? 0 : sent_ns);
  payload.replace(kPrefix.size(), kDigits, digits);
}

std::optional<std::int64_t> ParseSentNs(std::string_view data) {
  if (data.size() < kStampBytes || data.substr(0, kPrefix.size()) != kPrefix) {
    return std::nullopt;
  }
  std::int64_t value = 0;
  for (std::size_t i = 0; i < kDigits; ++i) {
    const char c = data[kPrefix.size() + i];
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

}  // namespace evstore::bench
