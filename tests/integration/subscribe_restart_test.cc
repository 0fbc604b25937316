// Subscriptions across a server shutdown (SIGTERM) and a crash (SIGKILL):
// the stream ends with UNAVAILABLE, nothing a subscriber saw is lost, and
// resuming after the last position seen continues without gap or duplicate.
#include <sys/wait.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/evstore_client.h"
#include "tests/integration/evstored_process.h"
#include "tests/integration/subscribe_scenarios.h"
#include "tests/integration/subscribe_support.h"

namespace evstore::testing {
namespace {

TEST_CASE(
    "live subscription ends with UNAVAILABLE on server shutdown and resumes "
    "after restart without gap or duplicate") {
  EvstoredProcess server;
  FeedModel model;
  std::unique_ptr<client::Client> client = server.Connect();
  Prefill(*client, model, kAlpha, StreamPool(), 1000, 100);

  // `live` keeps up. `consumer` processes events one at a time and stops at
  // position 737, in the middle of a batch, as a consumer that crashes would.
  std::unique_ptr<client::Subscription> live =
      client->Subscribe(SubscribeFrom(kAlpha, 0));
  std::unique_ptr<client::Subscription> consumer =
      client->Subscribe(SubscribeFrom(kAlpha, 0));
  Received live_got;
  REQUIRE(PullUntil(
      *live, live_got, [](const Received& r) { return r.caught_ups() > 0; },
      absl::Seconds(10)));
  Received consumer_got;
  REQUIRE(PullUntil(
      *consumer, consumer_got,
      [](const Received& r) { return r.events.size() >= 737; },
      absl::Seconds(10)));
  const uint64_t processed = 737;
  REQUIRE(consumer_got.events[processed - 1].position() == processed);

  // More events that `consumer` will never process before the restart.
  Prefill(*client, model, kAlpha, StreamPool(), 500, 50);
  REQUIRE(PullUntil(*live, live_got, LiveThrough(1500), absl::Seconds(10)));

  const absl::Time stop_start = absl::Now();
  const int exit_status = server.Stop();
  const absl::Duration stop_time = absl::Now() - stop_start;
  INFO("evstored stopped in " << absl::FormatDuration(stop_time));
  CHECK(WIFEXITED(exit_status));
  CHECK(WEXITSTATUS(exit_status) == 0);
  // A subscriber that is live and idle is ended by the server, not cancelled
  // by gRPC after the grace period.
  CHECK(stop_time < absl::Seconds(4));

  REQUIRE(PullUntil(
              *live, live_got, [](const Received&) { return false; },
              absl::Seconds(10)) == false);
  REQUIRE(live_got.ended);
  INFO("live subscription ended with " << live_got.end_status.ToString());
  CHECK(absl::IsUnavailable(live_got.end_status));
  CHECK(live_got.covered() == 1500);
  PullUntil(
      *consumer, consumer_got, [](const Received&) { return false; },
      absl::Seconds(10));
  REQUIRE(consumer_got.ended);
  INFO("consumer subscription ended with "
       << consumer_got.end_status.ToString());
  CHECK(absl::IsUnavailable(consumer_got.end_status));

  server.Start();
  client = server.Connect();
  // Subscribed before anything new is appended: served from the restarted
  // server's tail, whose ring starts empty.
  std::unique_ptr<client::Subscription> early =
      client->Subscribe(SubscribeFrom(kAlpha, 1500));
  Received early_got;
  REQUIRE(PullUntil(*early, early_got, LiveThrough(1500), absl::Seconds(10)));
  Prefill(*client, model, kAlpha, StreamPool(), 300, 60);
  const uint64_t head = model.Head(kAlpha);
  REQUIRE(head == 1800);
  REQUIRE(PullUntil(*early, early_got, LiveThrough(head), absl::Seconds(20)));

  std::unique_ptr<client::Subscription> live_again =
      client->Subscribe(SubscribeFrom(kAlpha, live_got.covered()));
  std::unique_ptr<client::Subscription> consumer_again =
      client->Subscribe(SubscribeFrom(kAlpha, processed));
  Received live_again_got;
  Received consumer_again_got;
  REQUIRE(PullUntil(*live_again, live_again_got, LiveThrough(head),
                    absl::Seconds(20)));
  REQUIRE(PullUntil(*consumer_again, consumer_again_got, LiveThrough(head),
                    absl::Seconds(20)));
  const std::vector<ModelEvent> feed = model.Feed(kAlpha);
  CheckDelivery(early_got, feed,
                Expectation().After(1500).Through(head).MinCaughtUp(1500));
  CheckDelivery(live_again_got, feed,
                Expectation().After(1500).Through(head).MinCaughtUp(head));
  CheckDelivery(consumer_again_got, feed,
                Expectation().After(processed).Through(head).MinCaughtUp(head));
  CheckEqualToRead(consumer_again_got.events, ReadFeed(*client, kAlpha));
}

TEST_CASE(
    "events a subscriber saw survive a server crash and it resumes without "
    "gap or duplicate") {
  EvstoredProcess server;
  FeedModel model;
  std::unique_ptr<client::Client> client = server.Connect();
  Prefill(*client, model, kAlpha, StreamPool(), 2000, 100);

  // Producers append until the server dies; a subscriber follows live.
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> appended{0};
  std::vector<std::string> errors(2);
  std::vector<std::unique_ptr<client::Client>> producer_clients;
  producer_clients.reserve(2);
  for (int p = 0; p < 2; ++p) producer_clients.push_back(server.Connect());
  std::vector<std::thread> producers;
  producers.reserve(2);
  for (int p = 0; p < 2; ++p) {
    producers.emplace_back([&, p] {
      Produce(*producer_clients[p], model, p, stop, 0, appended, errors[p]);
    });
  }
  std::unique_ptr<client::Subscription> subscription =
      client->Subscribe(SubscribeFrom(kAlpha, 0));
  Received before;
  REQUIRE(PullUntil(
      *subscription, before,
      [](const Received& r) { return r.caught_ups() > 0; }, absl::Seconds(20)));
  WaitFor([&] { return appended.load() >= 5000; }, absl::Seconds(20));
  // Keep reading while the server is killed mid-append.
  std::thread reader([&] {
    PullUntil(
        *subscription, before, [](const Received&) { return false; },
        absl::Seconds(20));
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  server.Kill();
  reader.join();
  stop.store(true);
  for (std::thread& t : producers) t.join();  // They fail and return.
  REQUIRE(before.ended);
  INFO("the subscription ended with " << before.end_status.ToString());
  CHECK(absl::IsUnavailable(before.end_status));
  REQUIRE_FALSE(before.events.empty());
  const uint64_t last_seen = before.events.back().position();

  server.Start();
  client = server.Connect();
  // Every acknowledged append and everything the subscriber saw survived;
  // the recovered feed may also hold appends that were never acknowledged.
  const std::vector<v1::RecordedEvent> recovered = ReadFeed(*client, kAlpha);
  INFO("subscriber saw through " << last_seen << ", acknowledged head "
                                 << model.Head(kAlpha) << ", recovered head "
                                 << recovered.size());
  REQUIRE(recovered.size() >= last_seen);
  REQUIRE(recovered.size() >= model.Head(kAlpha));
  CheckEqualToRead(before.events, recovered);
  // Acknowledged appends hold exactly what the producers wrote. (The model
  // may have holes where an append was never acknowledged.)
  for (const auto& [position, event] : model.Positions(kAlpha)) {
    INFO("acknowledged position " << position);
    REQUIRE(EventDifference(recovered[position - 1], event, true).empty());
  }

  // Resume after the last position seen: exactly the rest of the recovered
  // feed, then live.
  std::unique_ptr<client::Subscription> resumed =
      client->Subscribe(SubscribeFrom(kAlpha, last_seen));
  Received after;
  REQUIRE(PullUntil(*resumed, after, LiveThrough(recovered.size()),
                    absl::Seconds(30)));
  uint64_t seq = 900000;
  v1::AppendRequest more =
      MakeAppend(kAlpha, {"meter/M5/readings"}, kEventTypes, 8, &seq, 25, 100);
  absl::StatusOr<v1::AppendResponse> appended_after = client->Append(more);
  REQUIRE(appended_after.ok());
  const uint64_t head = appended_after->last_position();
  REQUIRE(head == recovered.size() + 25);
  REQUIRE(PullUntil(*resumed, after, LiveThrough(head), absl::Seconds(20)));
  const std::vector<v1::RecordedEvent> final_feed = ReadFeed(*client, kAlpha);
  REQUIRE(final_feed.size() == head);
  REQUIRE(after.events.size() == head - last_seen);
  for (size_t i = 0; i < after.events.size(); ++i) {
    REQUIRE(after.events[i].position() == last_seen + 1 + i);
  }
  CheckEqualToRead(after.events, final_feed);
  REQUIRE(after.caught_ups() == 1);
}

}  // namespace
}  // namespace evstore::testing
