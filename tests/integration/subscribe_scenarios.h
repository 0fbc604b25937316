// Scenario pieces shared by the subscribe*_test.cc files: two customers,
// a pool of streams and event types, prefilling a feed, producers that append
// batches of varied sizes until told to stop, and small waiting helpers.
#ifndef EVSTORE_TESTS_INTEGRATION_SUBSCRIBE_SCENARIOS_H_
#define EVSTORE_TESTS_INTEGRATION_SUBSCRIBE_SCENARIOS_H_

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/evstore_client.h"
#include "evstore/v1/evstore.pb.h"
#include "tests/integration/subscribe_support.h"

namespace evstore::testing {

inline const std::string kAlpha = "alpha-energy";
inline const std::string kBeta = "beta-energy";

inline const std::vector<std::string> kEventTypes = {
    "NominationSent", "NominationResponseReceived", "MeterRead",
    "SettlementCalculated"};

inline std::vector<std::string> StreamPool() {
  std::vector<std::string> streams;
  streams.reserve(10);
  for (int k = 0; k < 6; ++k) {
    streams.push_back("contract/DS0000" + std::to_string(k) + "/nominations");
  }
  for (int k = 0; k < 4; ++k) {
    streams.push_back("meter/M" + std::to_string(k) + "/readings");
  }
  return streams;
}

// `count` events to `customer` in appends of `batch` events, over `streams`.
inline void Prefill(const client::Client& client, FeedModel& model,
                    const std::string& customer,
                    const std::vector<std::string>& streams, size_t count,
                    size_t batch, size_t payload_bytes = 120) {
  uint64_t seq = 0;
  for (size_t done = 0; done < count; done += batch) {
    const size_t n = std::min(batch, count - done);
    // A window of three streams that moves with every append.
    std::vector<std::string> window;
    for (size_t s = 0; s < 3; ++s) {
      window.push_back(streams[(done / batch + s) % streams.size()]);
    }
    AppendOrFail(
        client, model,
        MakeAppend(customer, window, kEventTypes, 99, &seq, n, payload_bytes));
  }
}

// Appends batches of varied sizes to both customers until `stop` is set and
// at least `min_batches` were appended. Records failures in `error`.
inline void Produce(const client::Client& client, FeedModel& model,
                    int producer, const std::atomic<bool>& stop,
                    size_t min_batches, std::atomic<uint64_t>& appended,
                    std::string& error) {
  static constexpr size_t kSizes[] = {1, 7, 64, 3, 128, 250, 17, 40};
  const std::vector<std::string> pool = StreamPool();
  uint64_t seq = 0;
  for (size_t b = 0; b < min_batches || !stop.load(); ++b) {
    const std::string& customer = (b + producer) % 3 == 0 ? kBeta : kAlpha;
    const size_t size = kSizes[(b + producer) % std::size(kSizes)];
    const size_t n_streams = 1 + (b % 3);
    std::vector<std::string> streams;
    streams.reserve(n_streams);
    for (size_t s = 0; s < n_streams; ++s) {
      streams.push_back(
          pool[(b * 7 + static_cast<size_t>(producer) * 3 + s) % pool.size()]);
    }
    v1::AppendRequest request =
        MakeAppend(customer, streams, kEventTypes, producer, &seq, size, 200);
    absl::StatusOr<v1::AppendResponse> response = client.Append(request);
    if (!response.ok() || response->duplicate()) {
      error = "producer " + std::to_string(producer) + " batch " +
              std::to_string(b) + ": " +
              (response.ok() ? "unexpected duplicate"
                             : response.status().ToString());
      return;
    }
    model.Record(request, *response);
    appended.fetch_add(size);
  }
}

inline bool WaitFor(const std::function<bool()>& condition,
                    absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!condition()) {
    if (absl::Now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

// Without filters, caught_up names exactly the last event sent before it.
inline void CheckCaughtUpAtLastEvent(const Received& received, uint64_t after) {
  for (const Received::Marker& m : received.markers) {
    if (m.kind != Received::Marker::Kind::kCaughtUp) continue;
    const uint64_t last_before =
        m.events_before == 0 ? after
                             : received.events[m.events_before - 1].position();
    CHECK(m.position == last_before);
  }
}

inline const Received::Marker& CaughtUp(const Received& received) {
  for (const Received::Marker& m : received.markers) {
    if (m.kind == Received::Marker::Kind::kCaughtUp) return m;
  }
  FAIL("no caught_up received");
  return received.markers.front();  // Not reached.
}

}  // namespace evstore::testing

#endif  // EVSTORE_TESTS_INTEGRATION_SUBSCRIBE_SCENARIOS_H_
