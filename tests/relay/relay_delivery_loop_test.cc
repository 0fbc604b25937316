// The delivery loop's batching with a real evstored: batches respect both
// limits (events and bytes of data), cover the feed in order exactly once,
// and the checkpoint reaches the head. The sink here only records what it
// is handed (the real sinks have their own tests).
#include <catch2/catch.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "relay/delivery_loop.h"
#include "relay/relay_metrics.h"
#include "relay/sink.h"
#include "tests/integration/evstored_process.h"
#include "tests/integration/test_events.h"
#include "tests/relay/relay_test_feed.h"

namespace evstore::testing {
namespace {

// Records the batches it is handed; settles every event. The first batch
// takes 300 ms, so that the rest of the feed is waiting in the client by
// the time the second batch is collected (full batches).
class RecordingSink final : public relay::Sink {
 public:
  explicit RecordingSink(std::vector<std::vector<uint64_t>>* batches,
                         std::vector<uint64_t>* batch_bytes)
      : batches_(batches), batch_bytes_(batch_bytes) {}
  absl::Status Deliver(absl::Span<const v1::RecordedEvent> events,
                       relay::DeliveryReport& report) override {
    if (batches_->empty()) absl::SleepFor(absl::Milliseconds(300));
    std::vector<uint64_t> positions;
    uint64_t bytes = 0;
    for (const v1::RecordedEvent& event : events) {
      positions.push_back(event.position());
      bytes += event.data().size();
    }
    batches_->push_back(std::move(positions));
    batch_bytes_->push_back(bytes);
    report.delivered = events.size();
    report.settled_prefix = events.size();
    return absl::OkStatus();
  }

 private:
  std::vector<std::vector<uint64_t>>* const batches_;
  std::vector<uint64_t>* const batch_bytes_;
};

TEST_CASE("delivery loop batches stay within max_batch and max_batch_bytes") {
  EvstoredProcess server;
  const std::unique_ptr<client::Client> client = server.Connect();
  constexpr int kEvents = 60;
  constexpr uint64_t kEventBytes = 10'000;
  for (int i = 0; i < kEvents; ++i) {
    v1::AppendRequest request = SingleWrite(
        kOrsted, kNominations, 86, static_cast<uint64_t>(i), /*count=*/1);
    // Every third event is small, the others about 10 kB.
    if (i % 3 != 0) {
      request.mutable_writes(0)->mutable_events(0)->set_data(
          "{\"pad\":\"" + std::string(kEventBytes - 10, 'x') + "\"}");
    }
    REQUIRE(client->Append(request).ok());
  }
  std::vector<std::vector<uint64_t>> batches;
  std::vector<uint64_t> batch_bytes;
  relay::RelayMetrics metrics;
  constexpr uint64_t kMaxBytes = uint64_t{64} << 10;
  relay::DeliveryLoop loop(
      *client,
      {.customer = kOrsted,
       .checkpoint = "relay:recording",
       .max_batch = 20,
       .max_batch_bytes = kMaxBytes},
      std::make_unique<RecordingSink>(&batches, &batch_bytes),
      metrics.ForSink(kOrsted, "recording"));
  absl::Notification stop;
  absl::Status result;
  std::thread runner([&] { result = loop.Run(stop); });
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (loop.acknowledged_position() < kEvents && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  stop.Notify();
  runner.join();
  REQUIRE(result.ok());

  uint64_t next = 1;
  bool bytes_limited = false;
  for (std::size_t b = 0; b < batches.size(); ++b) {
    CHECK(batches[b].size() <= 20);
    // Only the batch's last event may cross the limit.
    CHECK(batch_bytes[b] < kMaxBytes + kEventBytes);
    bytes_limited = bytes_limited || batch_bytes[b] >= kMaxBytes;
    for (const uint64_t position : batches[b]) CHECK(position == next++);
  }
  CHECK(next == kEvents + 1);
  // 20 events (13 or 14 of ~10 kB) are far above 64 KiB: full batches end
  // at the byte limit.
  CHECK(bytes_limited);
  CHECK(loop.acknowledged_position() == kEvents);
  CHECK(CheckpointPosition(*client, "relay:recording") == kEvents);
}

}  // namespace
}  // namespace evstore::testing
