// The append path under concurrency: many producer threads append through
// the GroupCommitter while watcher threads wait on the customers' FeedTails
// (TailWaiter), read the ring and fall back to the disk once events are
// evicted. Written to give ThreadSanitizer (scripts/sanitize.sh tsan) the
// commit thread, the sync thread, producers and waiters at once; the results
// are checked in every build.
//
// Catch2 assertions are not thread-safe, so threads only record what they
// saw and the test thread checks it.
#include <atomic>
#include <catch2/catch.hpp>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "storage/event_log.h"
#include "tests/unit/test_support.h"

using namespace evstore;
using evstore::testing::AppendSync;
using evstore::testing::MakeEvent;
using evstore::testing::TempDir;
using evstore::testing::TestOptions;

namespace {

constexpr int kProducers = 8;
constexpr int kAppendsPerProducer = 60;
constexpr int kWatchersPerCustomer = 3;
const std::vector<std::string> kCustomers = {"orsted-dk", "gasum"};

// Producer p writes customer p % 2; append i carries 1 + i % 3 events whose
// data names the producer, the append and the event.
std::string EventData(int producer, int append, int event) {
  return "{\"p\":" + std::to_string(producer) +
         ",\"a\":" + std::to_string(append) +
         ",\"e\":" + std::to_string(event) + "}";
}

uint64_t ExpectedEvents(size_t customer) {
  uint64_t total = 0;
  for (int p = 0; p < kProducers; ++p) {
    if (static_cast<size_t>(p) % kCustomers.size() != customer) continue;
    for (int i = 0; i < kAppendsPerProducer; ++i) total += 1 + i % 3;
  }
  return total;
}

// Wakes its watcher thread when the tail advanced.
class WakeFlag : public TailWaiter {
 public:
  void OnFeedAdvanced() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      woken_ = true;
    }
    woken_cv_.notify_one();
  }
  // Waits until woken, then clears the flag. No timeout: a lost wake-up
  // hangs the test (and CTest's timeout fails it).
  void Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    woken_cv_.wait(lock, [this] { return woken_; });
    woken_ = false;
  }

 private:
  std::mutex mu_;
  std::condition_variable woken_cv_;
  bool woken_ = false;
};

struct WatcherResult {
  std::vector<uint64_t> positions;  // In the order delivered.
  std::vector<std::string> data;
  std::string error;  // Empty unless the watcher failed.
};

// Follows one customer's feed like a subscriber does, from position 1 until
// `until` events were delivered or `give_up` is set (and `waiter` woken).
WatcherResult Watch(EventLog& log, const std::string& customer, uint64_t until,
                    const std::atomic<bool>& give_up,
                    const std::shared_ptr<WakeFlag>& waiter) {
  WatcherResult result;
  std::shared_ptr<FeedTail> tail = log.Tail(customer);
  FeedPosition delivered(0);
  while (delivered.value() < until && !give_up.load()) {
    std::vector<std::shared_ptr<const RecordedEvent>> live;
    if (tail->ReadAfter(delivered, 16, size_t{1} << 20, &live) ==
        FeedTail::ReadOutcome::kEvicted) {
      ReadLimits limits;
      limits.max_events = 16;
      absl::StatusOr<FeedReadResult> read =
          log.ReadFeed(customer, delivered.Next(), ReadDirection::kForwards,
                       limits, EventFilter());
      if (!read.ok()) {
        result.error = std::string(read.status().message());
        return result;
      }
      for (const RecordedEvent& event : read->events) {
        result.positions.push_back(event.position.value());
        result.data.push_back(event.data);
      }
      delivered = read->last_scanned;
      continue;
    }
    for (const auto& event : live) {
      result.positions.push_back(event->position.value());
      result.data.push_back(event->data);
      delivered = event->position;
    }
    if (!live.empty()) continue;
    if (tail->AwaitAfter(delivered, waiter)) continue;
    waiter->Wait();
  }
  return result;
}

}  // namespace

TEST_CASE(
    "producers on many threads and waiting tails see every event once and "
    "in order") {
  TempDir dir;
  EventLogOptions options = TestOptions(dir.path());
  // A small ring, so that watchers also fall behind it and read the disk
  // while the commit thread writes.
  options.tail_max_events = 32;
  auto opened = EventLog::Open(options);
  REQUIRE(opened.ok());
  std::unique_ptr<EventLog> log = std::move(*opened);

  std::atomic<bool> give_up{false};
  std::vector<WatcherResult> watched(kCustomers.size() * kWatchersPerCustomer);
  std::vector<std::shared_ptr<WakeFlag>> waiters;
  std::vector<std::thread> watchers;
  for (size_t c = 0; c < kCustomers.size(); ++c) {
    for (int w = 0; w < kWatchersPerCustomer; ++w) {
      waiters.push_back(std::make_shared<WakeFlag>());
      watchers.emplace_back([&, c, w, waiter = waiters.back()] {
        watched[c * kWatchersPerCustomer + w] =
            Watch(*log, kCustomers[c], ExpectedEvents(c), give_up, waiter);
      });
    }
  }

  std::vector<std::string> producer_errors(kProducers);
  std::vector<std::thread> producers;
  producers.reserve(kProducers);
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      const std::string& customer = kCustomers[p % kCustomers.size()];
      for (int i = 0; i < kAppendsPerProducer; ++i) {
        AppendBatch batch;
        batch.customer = customer;
        StreamWrite write{
            "contract/" + std::to_string(p), ExpectedRevision::Any(), {}};
        for (int e = 0; e < 1 + i % 3; ++e) {
          write.events.push_back(
              MakeEvent("TimeSeriesValuesChanged", EventData(p, i, e)));
        }
        batch.writes.push_back(std::move(write));
        absl::StatusOr<AppendResult> result = AppendSync(*log, batch);
        if (!result.ok()) {
          producer_errors[p] = std::string(result.status().message());
          return;
        }
      }
    });
  }
  for (std::thread& producer : producers) producer.join();
  bool producers_ok = true;
  for (const std::string& error : producer_errors) {
    if (!error.empty()) producers_ok = false;
  }
  if (!producers_ok) {
    // The watchers would wait forever for the missing events.
    give_up = true;
    for (const auto& waiter : waiters) waiter->OnFeedAdvanced();
  }
  for (std::thread& watcher : watchers) watcher.join();
  for (const std::string& error : producer_errors) REQUIRE(error.empty());

  for (size_t c = 0; c < kCustomers.size(); ++c) {
    const uint64_t expected = ExpectedEvents(c);
    REQUIRE(log->Head(kCustomers[c]).value() == expected);
    // Every event appended to this customer, once.
    std::map<std::string, int> appended;
    for (int p = 0; p < kProducers; ++p) {
      if (static_cast<size_t>(p) % kCustomers.size() != c) continue;
      for (int i = 0; i < kAppendsPerProducer; ++i) {
        for (int e = 0; e < 1 + i % 3; ++e) appended[EventData(p, i, e)] = 1;
      }
    }
    for (int w = 0; w < kWatchersPerCustomer; ++w) {
      const WatcherResult& result = watched[c * kWatchersPerCustomer + w];
      INFO("customer " << kCustomers[c] << " watcher " << w);
      REQUIRE(result.error.empty());
      REQUIRE(result.positions.size() == expected);
      std::map<std::string, int> seen;
      for (size_t i = 0; i < result.positions.size(); ++i) {
        REQUIRE(result.positions[i] == i + 1);
        seen[result.data[i]] += 1;
      }
      REQUIRE(seen == appended);
    }
  }
}
