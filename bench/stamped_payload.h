// Payloads that carry their send time, for end-to-end latency (workload W3):
// the subscriber that receives an event computes the latency from the stamp
// in its data, whatever system carried it.
#ifndef EVSTORE_BENCH_STAMPED_PAYLOAD_H_
#define EVSTORE_BENCH_STAMPED_PAYLOAD_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace evstore::bench {

// The smallest payload StampedPayload() can make.
inline constexpr std::size_t kMinStampedPayloadBytes = 64;

// Nanoseconds on CLOCK_MONOTONIC (steady_clock): one clock for every process
// of the machine, so stamps may cross process boundaries.
std::int64_t MonotonicNowNs();

// A valid JSON document of exactly `bytes` bytes (at least
// kMinStampedPayloadBytes) that starts with {"sentNs":"<20 digits>", followed
// by the fields of MakeJsonPayload(); the stamp is `sent_ns`.
std::string StampedPayload(std::size_t bytes, int contract_number,
                           std::int64_t sent_ns);

// Rewrites the stamp of a document made by StampedPayload() in place (cheap:
// producers make one document and restamp it for every event).
void Restamp(std::string& payload, std::int64_t sent_ns);

// The stamp of a document made by StampedPayload(), or nothing when `data`
// does not start with one.
std::optional<std::int64_t> ParseSentNs(std::string_view data);

}  // namespace evstore::bench

#endif  // EVSTORE_BENCH_STAMPED_PAYLOAD_H_
