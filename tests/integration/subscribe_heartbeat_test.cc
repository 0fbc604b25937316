// Subscribe heartbeats against a real evstored: an idle live subscriber gets
// heartbeats at the head at the requested interval, heartbeats prove
// completeness when a filter matches nothing, and the server flag sets the
// default interval.
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

TEST_CASE("idle live subscriber receives heartbeats at the feed head") {
  EvstoredProcess server;
  std::unique_ptr<client::Client> client = server.Connect();
  FeedModel model;
  Prefill(*client, model, kAlpha, StreamPool(), 50, 10);

  v1::SubscribeRequest request = SubscribeFrom(kAlpha, 0);
  request.set_heartbeat_interval_ms(200);
  std::unique_ptr<client::Subscription> subscription =
      client->Subscribe(request);
  Received got;
  REQUIRE(PullUntil(
      *subscription, got, [](const Received& r) { return r.caught_ups() > 0; },
      absl::Seconds(10)));
  const absl::Time caught_up_at = got.markers.back().at;
  // Idle for two seconds: about ten heartbeats, each at the head.
  PullUntil(
      *subscription, got, [](const Received&) { return false; },
      absl::Seconds(2));
  std::vector<absl::Time> beats;
  for (const Received::Marker& m : got.markers) {
    if (m.kind != Received::Marker::Kind::kHeartbeat) continue;
    CHECK(m.position == 50);
    beats.push_back(m.at);
  }
  INFO(beats.size() << " heartbeats in 2 s");
  CHECK(beats.size() >= 5);
  CHECK(beats.size() <= 12);
  absl::Time previous = caught_up_at;
  for (absl::Time at : beats) {
    // The server waits the interval after each write; delivery jitter on a
    // busy machine is tolerated, a heartbeat storm or a stall is not.
    CHECK(at - previous >= absl::Milliseconds(100));
    CHECK(at - previous <= absl::Milliseconds(1500));
    previous = at;
  }

  // New events interrupt the idleness; the next heartbeat is at the new head.
  uint64_t seq = 500;
  AppendOrFail(
      *client, model,
      MakeAppend(kAlpha, {"meter/M1/readings"}, kEventTypes, 1, &seq, 10, 100));
  const size_t markers_before = got.markers.size();
  REQUIRE(PullUntil(
      *subscription, got,
      [&](const Received& r) {
        return r.markers.size() > markers_before &&
               r.markers.back().position == 60;
      },
      absl::Seconds(5)));
  CHECK(got.markers.back().kind == Received::Marker::Kind::kHeartbeat);
  CheckDelivery(got, model.Feed(kAlpha), Expectation().After(0).Through(60));
}

TEST_CASE(
    "heartbeats advance to the head while a filter matches nothing and "
    "producers append") {
  EvstoredProcess server;
  std::unique_ptr<client::Client> client = server.Connect();
  FeedModel model;
  Prefill(*client, model, kAlpha, StreamPool(), 2000, 200);

  v1::SubscribeRequest request = SubscribeFrom(kAlpha, 0);
  request.add_event_types("NoSuchType");
  request.set_heartbeat_interval_ms(200);
  std::unique_ptr<client::Subscription> subscription =
      client->Subscribe(request);
  Received got;
  REQUIRE(PullUntil(
      *subscription, got, [](const Received& r) { return r.caught_ups() > 0; },
      absl::Seconds(10)));
  CHECK(got.markers.back().position == 2000);

  // A producer appends a small batch every 30 ms for two seconds.
  std::atomic<bool> done{false};
  std::thread producer([&] {
    uint64_t seq = 0;
    const absl::Time end = absl::Now() + absl::Seconds(2);
    while (absl::Now() < end) {
      v1::AppendRequest append = MakeAppend(kAlpha, {"meter/M3/readings"},
                                            kEventTypes, 3, &seq, 20, 100);
      absl::StatusOr<v1::AppendResponse> response = client->Append(append);
      if (response.ok()) model.Record(append, *response);
      std::this_thread::sleep_for(std::chrono::milliseconds(30));
    }
    done.store(true);
  });
  PullUntil(
      *subscription, got, [&](const Received&) { return done.load(); },
      absl::Seconds(30));
  producer.join();
  const uint64_t head = model.Head(kAlpha);
  REQUIRE(head > 2000);
  REQUIRE(PullUntil(*subscription, got, LiveThrough(head), absl::Seconds(5)));

  CHECK(got.events.empty());
  std::vector<uint64_t> during;
  for (const Received::Marker& m : got.markers) {
    if (m.kind == Received::Marker::Kind::kHeartbeat && m.position > 2000 &&
        m.position < head) {
      during.push_back(m.position);
    }
  }
  // Heartbeats kept coming while events flowed, at advancing positions.
  INFO(during.size() << " heartbeats below the final head " << head);
  CHECK(during.size() >= 3);
  CHECK(got.markers.back().kind == Received::Marker::Kind::kHeartbeat);
  CHECK(got.markers.back().position == head);
  CheckDelivery(
      got, model.Feed(kAlpha),
      Expectation().Types({"NoSuchType"}).Through(head).MinCaughtUp(2000));
}

TEST_CASE(
    "heartbeat interval defaults to the server flag when the request leaves "
    "it unset") {
  {
    EvstoredProcess server({"--heartbeat_interval_ms=300"});
    std::unique_ptr<client::Client> client = server.Connect();
    FeedModel model;
    Prefill(*client, model, kAlpha, StreamPool(), 20, 10);
    std::unique_ptr<client::Subscription> subscription =
        client->Subscribe(SubscribeFrom(kAlpha, 0));
    Received got;
    PullUntil(
        *subscription, got, [](const Received&) { return false; },
        absl::Milliseconds(1500));
    INFO(got.heartbeats() << " heartbeats in 1.5 s at 300 ms");
    CHECK(got.heartbeats() >= 2);
    CHECK(got.heartbeats() <= 6);
    CheckDelivery(got, model.Feed(kAlpha), Expectation().Through(20));
    for (const Received::Marker& m : got.markers) CHECK(m.position == 20);
  }
  {
    // The built-in default is 5 s: nothing within the first second.
    EvstoredProcess server;
    std::unique_ptr<client::Client> client = server.Connect();
    std::unique_ptr<client::Subscription> subscription =
        client->Subscribe(SubscribeFrom(kAlpha, 0));
    Received got;
    PullUntil(
        *subscription, got, [](const Received&) { return false; },
        absl::Seconds(1));
    CHECK(got.caught_ups() == 1);
    CHECK(got.heartbeats() == 0);
  }
}

}  // namespace
}  // namespace evstore::testing
