// Subscribers that stop reading: the server must neither buffer for them
// (memory stays bounded) nor let them slow producers or other subscribers,
// and once they read again they must get every event, in order, exactly once
// (from disk, after they have fallen out of the in-memory tail).
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <future>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/evstore_client.h"
#include "tests/integration/evstored_process.h"
#include "tests/integration/subscribe_support.h"

namespace evstore::testing {
namespace {

const std::string kCustomer = "alpha-energy";
const std::vector<std::string> kTypes = {"MeterRead", "NominationSent"};
constexpr size_t kPayloadBytes = 256;
constexpr double kMiB = 1024.0 * 1024.0;

std::vector<std::string> Streams(int producer) {
  return {"meter/P" + std::to_string(producer) + "/readings",
          "contract/P" + std::to_string(producer) + "/nominations"};
}

// Samples the server's RSS until stopped; keeps the maximum.
class RssSampler {
 public:
  explicit RssSampler(const EvstoredProcess& server) {
    thread_ = std::thread([this, &server] {
      while (!stop_.load()) {
        max_.store(std::max(max_.load(), server.RssBytes()));
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    });
  }
  ~RssSampler() { Stop(); }
  size_t Stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
    return max_.load();
  }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<size_t> max_{0};
  std::thread thread_;
};

TEST_CASE(
    "stalled subscribers do not grow server memory or slow producers and "
    "later receive every event in order") {
  EvstoredProcess server;
  FeedModel model;
  std::unique_ptr<client::Client> writer = server.Connect();
  {
    uint64_t seq = 0;
    for (int b = 0; b < 10; ++b) {
      AppendOrFail(*writer, model,
                   MakeAppend(kCustomer, Streams(9), kTypes, 9, &seq, 100,
                              kPayloadBytes));
    }
  }

  // Three subscribers read a little and then stop calling Next(): one shares
  // its connection with the subscriber that keeps up, two have their own,
  // with client queues of 1, 4 and 64 messages.
  std::unique_ptr<client::Client> reader = server.Connect();
  std::unique_ptr<client::Client> stalled_client = server.Connect();
  struct Stalled {
    std::unique_ptr<client::Subscription> subscription;
    Received got;
  };
  std::vector<Stalled> stalled;
  stalled.push_back({reader->Subscribe(SubscribeFrom(kCustomer, 0),
                                       {.max_queued_messages = 1}),
                     {}});
  stalled.push_back({stalled_client->Subscribe(SubscribeFrom(kCustomer, 0),
                                               {.max_queued_messages = 4}),
                     {}});
  stalled.push_back(
      {stalled_client->Subscribe(SubscribeFrom(kCustomer, 0)), {}});
  for (Stalled& s : stalled) {
    REQUIRE(PullUntil(
        *s.subscription, s.got,
        [](const Received& r) { return r.events.size() >= 300; },
        absl::Seconds(10)));
  }
  BackgroundPuller keeps_up(reader->Subscribe(SubscribeFrom(kCustomer, 0)),
                            absl::Seconds(120));
  // A slow consumer (10 ms per message, a one-message client queue) reads
  // about 25,000 events/s at best, slower than the producers: it falls out
  // of the tail's ring while they append, is served from disk, and must come
  // back to live without a gap or duplicate.
  std::unique_ptr<client::Client> slow_client = server.Connect();
  BackgroundPuller slow(slow_client->Subscribe(SubscribeFrom(kCustomer, 0),
                                               {.max_queued_messages = 1}),
                        absl::Seconds(120), absl::Milliseconds(10));

  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const size_t rss_before = server.RssBytes();
  RssSampler sampler(server);

  // 100,000 events of ~256 bytes in appends of 100: two producers on
  // AppendSessions (up to four appends in flight each), two on unary Append.
  constexpr int kProducers = 4;
  constexpr int kBatchesPerProducer = 250;
  constexpr size_t kBatch = 100;
  std::vector<std::string> errors(kProducers);
  std::vector<int> completed(kProducers, 0);
  std::vector<std::unique_ptr<client::Client>> producer_clients;
  producer_clients.reserve(kProducers);
  for (int p = 0; p < kProducers; ++p) {
    producer_clients.push_back(server.Connect());
  }
  const absl::Time produce_start = absl::Now();
  std::vector<std::thread> producers;
  producers.reserve(kProducers);
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      uint64_t seq = 0;
      if (p < 2) {
        std::unique_ptr<client::AppendSession> session =
            producer_clients[p]->OpenAppendSession();
        std::vector<std::pair<v1::AppendRequest,
                              std::future<absl::StatusOr<v1::AppendResponse>>>>
            in_flight;
        const auto settle_one = [&] {
          auto& [request, future] = in_flight.front();
          absl::StatusOr<v1::AppendResponse> response = future.get();
          if (response.ok() && !response->duplicate()) {
            model.Record(request, *response);
            ++completed[p];
          } else if (errors[p].empty()) {
            errors[p] =
                response.ok() ? "duplicate" : response.status().ToString();
          }
          in_flight.erase(in_flight.begin());
        };
        for (int b = 0; b < kBatchesPerProducer; ++b) {
          v1::AppendRequest request = MakeAppend(
              kCustomer, Streams(p), kTypes, p, &seq, kBatch, kPayloadBytes);
          auto future = session->Append(request);
          in_flight.emplace_back(std::move(request), std::move(future));
          if (in_flight.size() >= 4) settle_one();
        }
        while (!in_flight.empty()) settle_one();
        absl::Status closed = session->Close(absl::Seconds(30));
        if (!closed.ok() && errors[p].empty()) {
          errors[p] = "close: " + closed.ToString();
        }
      } else {
        for (int b = 0; b < kBatchesPerProducer; ++b) {
          v1::AppendRequest request = MakeAppend(
              kCustomer, Streams(p), kTypes, p, &seq, kBatch, kPayloadBytes);
          absl::StatusOr<v1::AppendResponse> response =
              producer_clients[p]->Append(request);
          if (!response.ok() || response->duplicate()) {
            errors[p] =
                response.ok() ? "duplicate" : response.status().ToString();
            return;
          }
          model.Record(request, *response);
          ++completed[p];
        }
      }
    });
  }
  for (std::thread& t : producers) t.join();
  const absl::Duration produce_time = absl::Now() - produce_start;
  const uint64_t slow_covered_at_end = slow.covered();
  for (int p = 0; p < kProducers; ++p) {
    INFO("producer " << p << ": " << errors[p]);
    CHECK(errors[p].empty());
    CHECK(completed[p] == kBatchesPerProducer);
  }
  const uint64_t head = model.Head(kCustomer);
  REQUIRE(head == 1000 + size_t{kProducers} * kBatchesPerProducer * kBatch);

  // The subscriber that keeps up is not held back by the stalled ones.
  const absl::Time drain_start = absl::Now();
  keeps_up.SetTarget(head);
  const bool keeps_up_reached = keeps_up.Join();
  const absl::Duration keeps_up_lag = absl::Now() - drain_start;
  const size_t rss_max = sampler.Stop();
  const size_t rss_after = server.RssBytes();

  // Measured on the 2-core dev VM (RelWithDebInfo, fsync durability): RSS
  // before ~34 MiB, peak and after ~87-88 MiB, i.e. a growth of 53-55 MiB
  // for 100,000 new events of 256 bytes (~40 MiB of records): RocksDB's
  // memtables (64 MiB write buffer per column family, nothing flushed yet)
  // and block cache, plus the tail ring (at most 8192 events / 16 MiB per
  // customer). A server that queued the backlog of each of the three
  // stalled subscribers (~100,000 events, over 30 MiB encoded, each) would
  // grow by at least ~90 MiB more and break the 120 MiB bound.
  const double growth_mib =
      (static_cast<double>(rss_max) - static_cast<double>(rss_before)) / kMiB;
  const double produce_rate =
      static_cast<double>(head - 1000) / absl::ToDoubleSeconds(produce_time);
  WARN("RSS before " << rss_before / kMiB << " MiB, peak " << rss_max / kMiB
                     << " MiB, after " << rss_after / kMiB << " MiB (growth "
                     << growth_mib << " MiB); appended " << head - 1000
                     << " events in " << absl::FormatDuration(produce_time)
                     << " (" << produce_rate << " events/s); the keeping-up "
                     << "subscriber reached the head "
                     << absl::FormatDuration(keeps_up_lag)
                     << " after the producers finished");
  CHECK(rss_before > 0);
  // Sanitizer builds (scripts/sanitize.sh sets EVSTORE_SANITIZER) add
  // redzones, a quarantine of freed memory and shadow memory to every
  // allocation (ASan: ~140-460 MiB growth here): the bound only measures
  // evstore in normal builds.
  if (std::getenv("EVSTORE_SANITIZER") == nullptr) CHECK(growth_mib < 120.0);
  REQUIRE(keeps_up_reached);
  CHECK(keeps_up_lag < absl::Seconds(10));

  const std::vector<ModelEvent> feed = model.Feed(kCustomer);
  {
    INFO("the subscriber that kept up");
    CheckDelivery(keeps_up.received(), feed,
                  Expectation().After(0).Through(head).MinCaughtUp(1000));
  }
  // The slow consumer's lag when the producers finished; then it drains.
  const uint64_t slow_behind = head - std::min(head, slow_covered_at_end);
  slow.SetTarget(head);
  REQUIRE(slow.Join());
  WARN("the slow consumer was "
       << slow_behind << " events behind when the producers finished");
  {
    INFO("the slow consumer");
    CheckDelivery(slow.received(), feed,
                  Expectation().After(0).Through(head).MinCaughtUp(1000));
  }

  // The stalled subscribers resume. They are far out of the tail's ring
  // (8192 events) and must be served from disk, then go live again.
  const absl::Time resume_start = absl::Now();
  std::vector<std::thread> resumers;
  std::vector<int> resumed(stalled.size(), 0);
  for (size_t i = 0; i < stalled.size(); ++i) {
    resumers.emplace_back([&, i] {
      resumed[i] = PullUntil(*stalled[i].subscription, stalled[i].got,
                             LiveThrough(head), absl::Seconds(90));
    });
  }
  for (std::thread& t : resumers) t.join();
  WARN("the stalled subscribers drained in "
       << absl::FormatDuration(absl::Now() - resume_start));
  for (size_t i = 0; i < stalled.size(); ++i) {
    INFO("stalled subscriber " << i);
    CHECK(resumed[i] == 1);
    CheckDelivery(stalled[i].got, feed,
                  Expectation().After(0).Through(head).MinCaughtUp(1000));
  }
  CheckEqualToRead(stalled[0].got.events, ReadFeed(*writer, kCustomer));
}

TEST_CASE(
    "stalled subscription ends with UNAVAILABLE when the server shuts down "
    "and resumes after restart") {
  EvstoredProcess server;
  FeedModel model;
  std::unique_ptr<client::Client> client = server.Connect();
  // 20,000 events of 1 KiB: far more than the client queue and the
  // transport's flow-control windows hold, so the server's write stays
  // pending.
  uint64_t seq = 0;
  for (int b = 0; b < 40; ++b) {
    AppendOrFail(
        *client, model,
        MakeAppend(kCustomer, Streams(b % 3), kTypes, 1, &seq, 500, 1024));
  }
  const uint64_t head = model.Head(kCustomer);
  std::unique_ptr<client::Subscription> stalled = client->Subscribe(
      SubscribeFrom(kCustomer, 0), {.max_queued_messages = 1});
  Received got;
  REQUIRE(PullUntil(
      *stalled, got, [](const Received& r) { return r.events.size() >= 1000; },
      absl::Seconds(10)));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));

  const absl::Time stop_start = absl::Now();
  const int exit_status = server.Stop();
  const absl::Duration stop_time = absl::Now() - stop_start;
  WARN("evstored stopped in " << absl::FormatDuration(stop_time)
                              << " with a stalled subscription");
  CHECK(WIFEXITED(exit_status));
  CHECK(WEXITSTATUS(exit_status) == 0);
  // The grace period is 5 s; a stalled write must not keep it from exiting.
  CHECK(stop_time < absl::Seconds(8));

  // What had reached the client is still delivered, then the end.
  PullUntil(
      *stalled, got, [](const Received&) { return false; }, absl::Seconds(10));
  REQUIRE(got.ended);
  INFO("ended with " << got.end_status.ToString() << " after "
                     << got.events.size() << " events");
  CHECK(absl::IsUnavailable(got.end_status));
  REQUIRE(got.events.size() < head);  // It really was stalled.
  CheckDelivery(got, model.Feed(kCustomer),
                Expectation().After(0).Through(0).CaughtUps(0));

  server.Start();
  client = server.Connect();
  const uint64_t last_seen = got.events.back().position();
  AppendOrFail(*client, model,
               MakeAppend(kCustomer, Streams(0), kTypes, 2, &seq, 100, 1024));
  const uint64_t new_head = model.Head(kCustomer);
  std::unique_ptr<client::Subscription> resumed =
      client->Subscribe(SubscribeFrom(kCustomer, last_seen));
  Received resumed_got;
  REQUIRE(PullUntil(*resumed, resumed_got, LiveThrough(new_head),
                    absl::Seconds(30)));
  CheckDelivery(
      resumed_got, model.Feed(kCustomer),
      Expectation().After(last_seen).Through(new_head).MinCaughtUp(new_head));
}

TEST_CASE("subscriptions cancelled while stalled release their server memory") {
  EvstoredProcess server;
  FeedModel model;
  std::unique_ptr<client::Client> client = server.Connect();
  // 6,000 events of 4 KiB: every stalled subscription pins a full batch
  // (512 KiB of data) in its pending write.
  uint64_t seq = 0;
  for (int b = 0; b < 20; ++b) {
    AppendOrFail(
        *client, model,
        MakeAppend(kCustomer, Streams(b % 3), kTypes, 1, &seq, 300, 4096));
  }
  constexpr int kRounds = 8;
  constexpr int kPerRound = 100;
  const size_t rss_idle = server.RssBytes();
  std::vector<size_t> rss;          // After each round's cancellations.
  std::vector<size_t> rss_stalled;  // While each round's 100 are stalled.
  for (int round = 0; round < kRounds; ++round) {
    std::unique_ptr<client::Client> c = server.Connect();
    std::vector<std::unique_ptr<client::Subscription>> subscriptions;
    subscriptions.reserve(kPerRound);
    for (int i = 0; i < kPerRound; ++i) {
      subscriptions.push_back(c->Subscribe(SubscribeFrom(kCustomer, 0),
                                           {.max_queued_messages = 1}));
    }
    for (auto& s : subscriptions) {
      absl::StatusOr<v1::SubscribeResponse> first = s->Next(absl::Seconds(20));
      INFO(first.status().ToString());
      REQUIRE(first.ok());
      REQUIRE(first->has_events());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    rss_stalled.push_back(server.RssBytes());
    subscriptions.clear();  // Cancels each stalled stream.
    c.reset();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    rss.push_back(server.RssBytes());
  }
  // The server still serves a new subscriber completely.
  std::unique_ptr<client::Subscription> last =
      client->Subscribe(SubscribeFrom(kCustomer, 0));
  Received got;
  REQUIRE(PullUntil(*last, got, LiveThrough(model.Head(kCustomer)),
                    absl::Seconds(30)));
  CheckDelivery(got, model.Feed(kCustomer),
                Expectation().Through(model.Head(kCustomer)));

  // Measured on the 2-core dev VM with batches of up to 1 MiB (before they
  // were capped at 512 KiB): ~88 MiB idle after the appends, 250-410
  // MiB with 100 stalled subscriptions (each pins its ~1 MiB batch plus the
  // serialized copy in gRPC's transport: ~2 MiB each), and 225-300 MiB
  // after they were cancelled (freed, but kept by the allocator). Later
  // rounds reuse that memory: a 24-round run stayed within 235-290 MiB, and
  // the check below measured +55 to +66 MiB at most. With the reactor leaked
  // (a mutation that skips `delete this` in OnDone) every round added ~100
  // MiB and the check measured +578 MiB.
  std::ostringstream figures;
  for (size_t i = 0; i < rss.size(); ++i) {
    figures << rss_stalled[i] / kMiB << "/" << rss[i] / kMiB << " ";
  }
  WARN("server RSS idle " << rss_idle / kMiB
                          << " MiB; with 100 stalled / after cancelling them, "
                             "per round (MiB): "
                          << figures.str());
  // Single rounds spike (an arena grows, then is trimmed again), so the
  // smaller of the last two rounds is compared with the larger of the first
  // two.
  const double first = static_cast<double>(std::max(rss[0], rss[1]));
  const double final_rounds =
      static_cast<double>(std::min(rss[kRounds - 2], rss[kRounds - 1]));
  CHECK((final_rounds - first) / kMiB < 150.0);
}

}  // namespace
}  // namespace evstore::testing
