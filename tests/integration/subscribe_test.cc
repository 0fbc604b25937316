// Subscribe against a real evstored: catch-up to live under concurrent
// appends, starting at the end or at the head, filters, maximum-size
// events, many subscribers on one connection, and invalid requests.
// Heartbeats are in subscribe_heartbeat_test.cc, shutdown and crashes in
// subscribe_restart_test.cc, stalled subscribers in
// subscribe_backpressure_test.cc.
//
// Every test compares what a subscription delivered with a model of what the
// producers appended (subscribe_support.h): exact positions, ids, streams,
// revisions, types, payloads and metadata, plus the truthfulness of every
// caught_up and heartbeat position.
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
    "subscriber switches from catch-up to live without gaps while producers "
    "append") {
  EvstoredProcess server;
  std::unique_ptr<client::Client> writer = server.Connect();
  FeedModel model;
  Prefill(*writer, model, kAlpha, StreamPool(), 5000, 100);
  Prefill(*writer, model, kBeta, StreamPool(), 500, 50);
  REQUIRE(model.Head(kAlpha) == 5000);

  // Producers on their own connections, both customers.
  constexpr int kProducers = 3;
  std::vector<std::unique_ptr<client::Client>> producer_clients;
  producer_clients.reserve(kProducers);
  for (int p = 0; p < kProducers; ++p) {
    producer_clients.push_back(server.Connect());
  }
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> appended{0};
  std::vector<std::string> errors(kProducers);
  std::vector<std::thread> producers;
  producers.reserve(kProducers);
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      Produce(*producer_clients[p], model, p, stop, 20, appended, errors[p]);
    });
  }

  // Subscribers start while the producers run, so the catch-up races them.
  std::unique_ptr<client::Client> reader = server.Connect();
  v1::SubscribeRequest from_unset;
  from_unset.set_customer(kAlpha);  // No start: from the beginning.
  v1::SubscribeRequest from_middle = SubscribeFrom(kAlpha, 2500);
  v1::SubscribeRequest beta_from_beginning;
  beta_from_beginning.set_customer(kBeta);
  beta_from_beginning.set_origin(v1::SUBSCRIBE_START_BEGINNING);
  BackgroundPuller full(reader->Subscribe(from_unset));
  BackgroundPuller middle(
      reader->Subscribe(from_middle, {.max_queued_messages = 1}));
  BackgroundPuller beta(reader->Subscribe(beta_from_beginning));

  // Keep appending until every subscriber is live, and then some more, so
  // that each one gets live events after its caught_up.
  const bool all_caught_up = WaitFor(
      [&] {
        return full.caught_up() && middle.caught_up() && beta.caught_up();
      },
      absl::Seconds(40));
  const uint64_t appended_at_caught_up = appended.load();
  WaitFor([&] { return appended.load() >= appended_at_caught_up + 30000; },
          absl::Seconds(20));
  stop.store(true);
  for (std::thread& t : producers) t.join();
  for (const std::string& e : errors) {
    INFO(e);
    CHECK(e.empty());
  }
  REQUIRE(all_caught_up);

  const uint64_t alpha_head = model.Head(kAlpha);
  const uint64_t beta_head = model.Head(kBeta);
  full.SetTarget(alpha_head);
  middle.SetTarget(alpha_head);
  beta.SetTarget(beta_head);
  const bool full_reached = full.Join();
  const bool middle_reached = middle.Join();
  const bool beta_reached = beta.Join();
  CHECK(full_reached);
  CHECK(middle_reached);
  CHECK(beta_reached);
  WARN("alpha head " << alpha_head << ", beta head " << beta_head
                     << "; caught_up at " << CaughtUp(full.received()).position
                     << " (alpha from the start), "
                     << CaughtUp(middle.received()).position
                     << " (alpha after 2500), "
                     << CaughtUp(beta.received()).position << " (beta)");
  const std::vector<ModelEvent> alpha_feed = model.Feed(kAlpha);
  const std::vector<ModelEvent> beta_feed = model.Feed(kBeta);
  {
    INFO("subscriber from the beginning (start unset)");
    CheckDelivery(full.received(), alpha_feed,
                  Expectation().After(0).Through(alpha_head).MinCaughtUp(5000));
    CheckCaughtUpAtLastEvent(full.received(), 0);
    // caught_up came while the producers were still appending.
    CHECK(CaughtUp(full.received()).position < alpha_head);
  }
  {
    INFO("subscriber after position 2500 with a one-message queue");
    CheckDelivery(
        middle.received(), alpha_feed,
        Expectation().After(2500).Through(alpha_head).MinCaughtUp(5000));
    CheckCaughtUpAtLastEvent(middle.received(), 2500);
    CHECK(CaughtUp(middle.received()).position < alpha_head);
  }
  {
    INFO("subscriber of the other customer");
    CheckDelivery(beta.received(), beta_feed,
                  Expectation().After(0).Through(beta_head).MinCaughtUp(500));
    CheckCaughtUpAtLastEvent(beta.received(), 0);
    CHECK(CaughtUp(beta.received()).position < beta_head);
  }

  // What was delivered is exactly what Read returns, field for field.
  const std::vector<v1::RecordedEvent> alpha_read = ReadFeed(*writer, kAlpha);
  REQUIRE(alpha_read.size() == alpha_head);
  CheckEqualToRead(full.received().events, alpha_read);
  CheckEqualToRead(middle.received().events, alpha_read);
  CheckEqualToRead(beta.received().events, ReadFeed(*writer, kBeta));
}

TEST_CASE(
    "subscriber from the end gets caught_up first and then only events "
    "appended after it subscribed") {
  EvstoredProcess server;
  std::unique_ptr<client::Client> client = server.Connect();
  FeedModel model;
  Prefill(*client, model, kAlpha, StreamPool(), 300, 30);
  Prefill(*client, model, kBeta, StreamPool(), 100, 25);

  const std::string gamma = "gamma-energy";  // No events yet.
  v1::SubscribeRequest alpha_end;
  alpha_end.set_customer(kAlpha);
  alpha_end.set_origin(v1::SUBSCRIBE_START_END);
  v1::SubscribeRequest gamma_end = alpha_end;
  gamma_end.set_customer(gamma);
  std::unique_ptr<client::Subscription> alpha_sub =
      client->Subscribe(alpha_end);
  std::unique_ptr<client::Subscription> gamma_sub =
      client->Subscribe(gamma_end);

  // The first message is caught_up at the head, before anything is appended.
  Received alpha_got;
  Received gamma_got;
  REQUIRE(PullUntil(
      *alpha_sub, alpha_got, [](const Received& r) { return r.messages >= 1; },
      absl::Seconds(10)));
  REQUIRE(PullUntil(
      *gamma_sub, gamma_got, [](const Received& r) { return r.messages >= 1; },
      absl::Seconds(10)));
  REQUIRE(alpha_got.markers.size() == 1);
  CHECK(alpha_got.markers[0].kind == Received::Marker::Kind::kCaughtUp);
  CHECK(alpha_got.markers[0].position == 300);
  CHECK(alpha_got.events.empty());
  REQUIRE(gamma_got.markers.size() == 1);
  CHECK(gamma_got.markers[0].kind == Received::Marker::Kind::kCaughtUp);
  CHECK(gamma_got.markers[0].position == 0);

  // New events, interleaved over the three customers.
  uint64_t seq = 1000;
  for (int b = 0; b < 10; ++b) {
    AppendOrFail(
        *client, model,
        MakeAppend(kAlpha,
                   {"contract/DS00001/nominations", "meter/M9/readings"},
                   kEventTypes, 1, &seq, 5 + b, 150));
    AppendOrFail(*client, model,
                 MakeAppend(kBeta, {"contract/DS00001/nominations"},
                            kEventTypes, 1, &seq, 3, 150));
    AppendOrFail(*client, model,
                 MakeAppend(gamma, {"meter/M1/readings"}, kEventTypes, 1, &seq,
                            1 + b % 2, 150));
  }
  const uint64_t alpha_head = model.Head(kAlpha);
  const uint64_t gamma_head = model.Head(gamma);
  REQUIRE(alpha_head == 300 + 95);
  REQUIRE(PullUntil(*alpha_sub, alpha_got, LiveThrough(alpha_head),
                    absl::Seconds(20)));
  REQUIRE(PullUntil(*gamma_sub, gamma_got, LiveThrough(gamma_head),
                    absl::Seconds(20)));
  REQUIRE_FALSE(alpha_got.events.empty());
  CHECK(alpha_got.events.front().position() == 301);
  REQUIRE_FALSE(gamma_got.events.empty());
  CHECK(gamma_got.events.front().position() == 1);
  CheckDelivery(alpha_got, model.Feed(kAlpha),
                Expectation().After(300).Through(alpha_head).MinCaughtUp(300));
  CheckDelivery(gamma_got, model.Feed(gamma),
                Expectation().After(0).Through(gamma_head).MinCaughtUp(0));
}

TEST_CASE(
    "subscriber from the end while producers append delivers every event "
    "after its start exactly once") {
  EvstoredProcess server;
  std::unique_ptr<client::Client> client = server.Connect();
  FeedModel model;
  Prefill(*client, model, kAlpha, StreamPool(), 1000, 100);

  std::atomic<bool> stop{false};
  std::atomic<uint64_t> appended{0};
  std::vector<std::string> errors(2);
  std::vector<std::thread> producers;
  producers.reserve(2);
  for (int p = 0; p < 2; ++p) {
    producers.emplace_back(
        [&, p] { Produce(*client, model, p, stop, 10, appended, errors[p]); });
  }
  WaitFor([&] { return appended.load() >= 300; }, absl::Seconds(10));

  // Whatever the head is when the server resolves the start, it is at least
  // what the producers had been told was appended before this call.
  const uint64_t head_before = model.Head(kAlpha);
  v1::SubscribeRequest request;
  request.set_customer(kAlpha);
  request.set_origin(v1::SUBSCRIBE_START_END);
  std::unique_ptr<client::Subscription> subscription =
      client->Subscribe(request);
  Received got;
  REQUIRE(PullUntil(
      *subscription, got, [](const Received& r) { return r.caught_ups() > 0; },
      absl::Seconds(20)));
  const uint64_t appended_at_caught_up = appended.load();
  WaitFor([&] { return appended.load() >= appended_at_caught_up + 500; },
          absl::Seconds(20));
  stop.store(true);
  for (std::thread& t : producers) t.join();
  for (const std::string& e : errors) {
    INFO(e);
    CHECK(e.empty());
  }
  const uint64_t head = model.Head(kAlpha);
  REQUIRE(PullUntil(*subscription, got, LiveThrough(head), absl::Seconds(30)));

  // The start S is where the first event (or caught_up) says it was.
  REQUIRE_FALSE(got.events.empty());
  const uint64_t start = got.markers.front().events_before == 0
                             ? got.markers.front().position
                             : got.events.front().position() - 1;
  INFO("head before subscribing " << head_before << ", start " << start
                                  << ", final head " << head);
  CHECK(start >= head_before);
  CHECK(got.events.front().position() == start + 1);
  CheckDelivery(got, model.Feed(kAlpha),
                Expectation().After(start).Through(head).MinCaughtUp(start));
}

TEST_CASE(
    "stream prefix and event type filters deliver exactly the matching events "
    "in feed order") {
  EvstoredProcess server;
  std::unique_ptr<client::Client> client = server.Connect();
  FeedModel model;
  const std::vector<std::string> streams = {
      "contract/DS01/nominations", "contract/DS02/nominations",
      "contract/DS02/schedules",   "meter/M7/readings",
      "meter/M70/readings",        "settlement/2024-01"};
  Prefill(*client, model, kAlpha, streams, 3000, 100);
  Prefill(*client, model, kBeta, streams, 200, 100);

  struct Case {
    std::string name;
    Expectation want;
  };
  std::vector<Case> cases = {
      {"one stream prefix", Expectation().Prefixes({"contract/DS02/"})},
      {"one event type", Expectation().Types({"NominationResponseReceived"})},
      {"prefixes and types", Expectation()
                                 .Prefixes({"contract/", "meter/M7/"})
                                 .Types({"NominationSent", "MeterRead"})},
      {"an exact stream name as prefix",
       Expectation().Prefixes({"meter/M7"})},  // Also matches meter/M70/...
      {"without data", Expectation().WithoutData()},
      {"without data, filtered",
       Expectation().Prefixes({"settlement/"}).WithoutData()},
      {"a filter that matches nothing", Expectation().Types({"NoSuchType"})},
  };

  std::unique_ptr<client::Client> reader = server.Connect();
  std::vector<std::unique_ptr<BackgroundPuller>> pullers;
  for (const Case& c : cases) {
    v1::SubscribeRequest request;
    request.set_customer(kAlpha);
    for (const std::string& p : c.want.stream_prefixes) {
      request.add_stream_prefixes(p);
    }
    for (const std::string& t : c.want.event_types) request.add_event_types(t);
    if (!c.want.include_data) request.set_include_data(false);
    // Heartbeats let the subscriber prove it has seen the head even when
    // the last events do not match.
    request.set_heartbeat_interval_ms(200);
    pullers.push_back(
        std::make_unique<BackgroundPuller>(reader->Subscribe(request)));
  }
  REQUIRE(WaitFor(
      [&] {
        for (auto& p : pullers) {
          if (!p->caught_up()) return false;
        }
        return true;
      },
      absl::Seconds(30)));

  // Live: the same filters now applied to the in-memory tail.
  uint64_t seq = 50000;
  for (int b = 0; b < 30; ++b) {
    std::vector<std::string> window = {streams[b % streams.size()],
                                       streams[(b + 2) % streams.size()]};
    AppendOrFail(
        *client, model,
        MakeAppend(kAlpha, window, kEventTypes, 7, &seq, 10 + b * 3, 100));
    if (b % 5 == 0) {
      AppendOrFail(*client, model,
                   MakeAppend(kBeta, window, kEventTypes, 7, &seq, 20, 100));
    }
  }
  const uint64_t head = model.Head(kAlpha);
  for (auto& p : pullers) p->SetTarget(head);
  const std::vector<ModelEvent> feed = model.Feed(kAlpha);
  const std::vector<v1::RecordedEvent> read_with_data =
      ReadFeed(*client, kAlpha);
  const std::vector<v1::RecordedEvent> read_without_data =
      ReadFeed(*client, kAlpha, false);
  for (size_t i = 0; i < cases.size(); ++i) {
    INFO("filter: " << cases[i].name);
    REQUIRE(pullers[i]->Join());
    Expectation want = cases[i].want;
    want.through = head;
    want.min_caught_up = 3000;
    CheckDelivery(pullers[i]->received(), feed, want);
    CheckEqualToRead(pullers[i]->received().events,
                     want.include_data ? read_with_data : read_without_data);
  }
  // Sanity of the model: each filter selects a proper, non-empty subset
  // (except the one meant to select nothing).
  for (size_t i = 0; i + 1 < cases.size(); ++i) {
    INFO("filter: " << cases[i].name);
    const size_t delivered = pullers[i]->received().events.size();
    CHECK(delivered > 0);
    if (!cases[i].want.stream_prefixes.empty() ||
        !cases[i].want.event_types.empty()) {
      CHECK(delivered < head);
    }
  }
  CHECK(pullers.back()->received().events.empty());
}

TEST_CASE(
    "subscriber resuming after a position beyond the head is refused with "
    "OUT_OF_RANGE") {
  EvstoredProcess server;
  FeedModel model;
  std::unique_ptr<client::Client> client = server.Connect();
  Prefill(*client, model, kAlpha, StreamPool(), 100, 50);

  // A position beyond the head belongs to other data (e.g. the store was
  // restored from a backup): resuming would skip the events that take those
  // positions next, so the server refuses it.
  std::unique_ptr<client::Subscription> beyond =
      client->Subscribe(SubscribeFrom(kAlpha, 150));
  absl::StatusOr<v1::SubscribeResponse> first = beyond->Next(absl::Seconds(10));
  REQUIRE(first.status().code() == absl::StatusCode::kOutOfRange);
  CHECK(std::string(first.status().message()).find("beyond the head") !=
        std::string::npos);

  // Exactly at the head is fine: caught up at once, then live.
  std::unique_ptr<client::Subscription> at_head =
      client->Subscribe(SubscribeFrom(kAlpha, 100));
  Received got;
  REQUIRE(PullUntil(
      *at_head, got, [](const Received& r) { return r.caught_ups() > 0; },
      absl::Seconds(10)));
  Prefill(*client, model, kAlpha, StreamPool(), 100, 20);
  REQUIRE(PullUntil(*at_head, got, LiveThrough(200), absl::Seconds(10)));
  REQUIRE_FALSE(got.events.empty());
  CHECK(got.events.front().position() == 101);
  CheckDelivery(got, model.Feed(kAlpha), Expectation().After(100).Through(200));
}

TEST_CASE("subscriber receives maximum-size events from disk and live") {
  EvstoredProcess server;
  FeedModel model;
  std::unique_ptr<client::Client> client = server.Connect();
  // Events of 1 MiB of data (the default --max_event_bytes), 12 per append
  // (under the 16 MiB --max_append_bytes), mixed with small ones.
  uint64_t seq = 0;
  const auto append_big = [&] {
    AppendOrFail(*client, model,
                 MakeAppend(kAlpha, {"contract/DS1/nominations"}, kEventTypes,
                            1, &seq, 12, size_t{1} << 20));
    AppendOrFail(*client, model,
                 MakeAppend(kAlpha, {"meter/M1/readings"}, kEventTypes, 1, &seq,
                            30, 100));
  };
  append_big();
  append_big();
  std::unique_ptr<client::Subscription> subscription =
      client->Subscribe(SubscribeFrom(kAlpha, 0));
  Received got;
  REQUIRE(PullUntil(*subscription, got, LiveThrough(84), absl::Seconds(20)));
  append_big();
  REQUIRE(PullUntil(*subscription, got, LiveThrough(126), absl::Seconds(20)));
  CheckDelivery(got, model.Feed(kAlpha), Expectation().Through(126));
}

TEST_CASE(
    "a thousand subscribers on one connection all receive every event in "
    "order") {
  EvstoredProcess server;
  std::unique_ptr<client::Client> writer = server.Connect();
  FeedModel model;
  Prefill(*writer, model, kAlpha, StreamPool(), 100, 50, 60);

  constexpr size_t kShared = 1000;
  std::unique_ptr<client::Client> shared = server.Connect();
  std::unique_ptr<client::Client> other1 = server.Connect();
  std::unique_ptr<client::Client> other2 = server.Connect();
  struct Sub {
    std::unique_ptr<client::Subscription> subscription;
    std::vector<uint64_t> positions;
    std::vector<std::string> ids;
    std::vector<uint64_t> caught_up;
    absl::Status end;
  };
  std::vector<Sub> subs;
  const absl::Time subscribe_start = absl::Now();
  for (size_t i = 0; i < kShared + 4; ++i) {
    const client::Client& c =
        i < kShared ? *shared : (i % 2 == 0 ? *other1 : *other2);
    subs.push_back({c.Subscribe(SubscribeFrom(kAlpha, 0)), {}, {}, {}, {}});
  }

  // One thread polls every subscription without blocking.
  const auto poll_all = [&] {
    size_t progressed = 0;
    for (Sub& s : subs) {
      if (!s.end.ok()) continue;
      for (;;) {
        absl::StatusOr<v1::SubscribeResponse> next =
            s.subscription->Next(absl::ZeroDuration());
        if (!next.ok()) {
          if (!absl::IsDeadlineExceeded(next.status())) s.end = next.status();
          break;
        }
        ++progressed;
        if (next->has_caught_up())
          s.caught_up.push_back(next->caught_up().position());
        for (const v1::RecordedEvent& e : next->events().events()) {
          s.positions.push_back(e.position());
          s.ids.push_back(e.id());
        }
      }
    }
    if (progressed == 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
  };
  const auto poll_until = [&](const std::function<bool(const Sub&)>& done,
                              absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    for (;;) {
      poll_all();
      size_t pending = 0;
      for (const Sub& s : subs) pending += !done(s) && s.end.ok();
      size_t ended = 0;
      for (const Sub& s : subs) ended += !s.end.ok();
      if (pending == 0) return ended == 0;
      if (absl::Now() >= deadline) return false;
    }
  };

  // With gRPC's default of 100 streams per connection, 900 of these would
  // wait for a free stream and never catch up.
  const bool all_caught_up = poll_until(
      [](const Sub& s) { return !s.caught_up.empty(); }, absl::Seconds(60));
  const absl::Duration catch_up_time = absl::Now() - subscribe_start;
  size_t caught_up = 0;
  for (const Sub& s : subs) caught_up += !s.caught_up.empty();
  INFO(caught_up << " of " << subs.size() << " caught up in "
                 << absl::FormatDuration(catch_up_time));
  REQUIRE(all_caught_up);

  // 300 live events in 30 appends while the poller runs.
  std::atomic<bool> produced{false};
  std::string error;
  std::thread producer([&] {
    uint64_t seq = 0;
    for (int b = 0; b < 30 && error.empty(); ++b) {
      v1::AppendRequest request = MakeAppend(
          kAlpha, {"contract/DS00003/nominations", "meter/M2/readings"},
          kEventTypes, 5, &seq, 10, 60);
      absl::StatusOr<v1::AppendResponse> response = writer->Append(request);
      if (!response.ok()) error = response.status().ToString();
      if (response.ok()) model.Record(request, *response);
    }
    produced.store(true);
  });
  const absl::Time live_start = absl::Now();
  const bool all_done = poll_until(
      [&](const Sub& s) {
        return produced.load() && !s.positions.empty() &&
               s.positions.back() >= model.Head(kAlpha);
      },
      absl::Seconds(60));
  producer.join();
  REQUIRE(error.empty());
  INFO("live phase took " << absl::FormatDuration(absl::Now() - live_start));
  REQUIRE(all_done);

  const std::vector<ModelEvent> feed = model.Feed(kAlpha);
  REQUIRE(feed.size() == 400);
  for (size_t i = 0; i < subs.size(); ++i) {
    const Sub& s = subs[i];
    INFO("subscriber " << i << " (" << (i < kShared ? "shared" : "other")
                       << " connection), " << s.positions.size()
                       << " events, ended: " << s.end.ToString());
    REQUIRE(s.positions.size() == feed.size());
    for (size_t k = 0; k < feed.size(); ++k) {
      if (s.positions[k] != k + 1 || s.ids[k] != feed[k].id) {
        FAIL("event #" << k << " is position " << s.positions[k] << " id "
                       << s.ids[k] << ", expected " << k + 1 << " id "
                       << feed[k].id);
      }
    }
    REQUIRE(s.caught_up == std::vector<uint64_t>{100});
  }
}

TEST_CASE(
    "subscribe with an invalid customer, filter or heartbeat interval ends "
    "with INVALID_ARGUMENT") {
  EvstoredProcess server;
  std::unique_ptr<client::Client> client = server.Connect();

  struct Bad {
    std::string what;
    v1::SubscribeRequest request;
    std::string field;  // Named in the error message.
  };
  const auto with = [](const std::function<void(v1::SubscribeRequest&)>& f) {
    v1::SubscribeRequest request;
    request.set_customer(kAlpha);
    f(request);
    return request;
  };
  const std::vector<Bad> bad = {
      {"empty customer", with([](auto& r) { r.clear_customer(); }), "customer"},
      {"upper-case customer", with([](auto& r) { r.set_customer("Alpha"); }),
       "customer"},
      {"customer with a space",
       with([](auto& r) { r.set_customer("alpha energy"); }), "customer"},
      {"65-character customer",
       with([](auto& r) { r.set_customer(std::string(65, 'a')); }), "customer"},
      {"heartbeat below 100 ms",
       with([](auto& r) { r.set_heartbeat_interval_ms(99); }),
       "heartbeat_interval_ms"},
      {"heartbeat of 1 ms",
       with([](auto& r) { r.set_heartbeat_interval_ms(1); }),
       "heartbeat_interval_ms"},
      {"heartbeat above one hour",
       with([](auto& r) { r.set_heartbeat_interval_ms(3'600'001); }),
       "heartbeat_interval_ms"},
      {"empty event type", with([](auto& r) { r.add_event_types(""); }),
       "event_types[0]"},
      {"stream prefix longer than a stream name",
       with([](auto& r) { r.add_stream_prefixes(std::string(257, 'x')); }),
       "stream_prefixes[0]"},
      {"unknown start",
       with([](auto& r) { r.set_origin(static_cast<v1::SubscribeStart>(7)); }),
       "origin"},
  };
  for (const Bad& b : bad) {
    INFO(b.what);
    std::unique_ptr<client::Subscription> subscription =
        client->Subscribe(b.request);
    absl::StatusOr<v1::SubscribeResponse> next =
        subscription->Next(absl::Seconds(10));
    REQUIRE_FALSE(next.ok());
    INFO(next.status().ToString());
    CHECK(absl::IsInvalidArgument(next.status()));
    CHECK(std::string(next.status().message()).find(b.field) !=
          std::string::npos);
  }

  // The boundaries themselves are valid.
  const std::vector<v1::SubscribeRequest> good = {
      with([](auto& r) { r.set_heartbeat_interval_ms(100); }),
      with([](auto& r) { r.set_heartbeat_interval_ms(3'600'000); }),
      with([](auto& r) { r.set_customer(std::string(64, 'a')); }),
      with([](auto& r) { r.set_customer("a-b_c.9"); }),
  };
  for (const v1::SubscribeRequest& request : good) {
    INFO(request.DebugString());
    std::unique_ptr<client::Subscription> subscription =
        client->Subscribe(request);
    absl::StatusOr<v1::SubscribeResponse> next =
        subscription->Next(absl::Seconds(10));
    INFO(next.status().ToString());
    REQUIRE(next.ok());
    CHECK(next->has_caught_up());
    CHECK(next->caught_up().position() == 0);
  }
}

}  // namespace
}  // namespace evstore::testing
