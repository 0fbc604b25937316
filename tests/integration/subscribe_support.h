// Shared pieces of the Subscribe integration tests (subscribe*_test.cc): a
// reference model of what producers appended, a puller that records
// everything a subscription delivers, and a checker that compares the two
// exactly.
//
// The model is built from the producers' own requests and the server's
// AppendResponses (positions are consecutive in request order, revisions
// consecutive per stream write), so a subscription is checked against what
// was written, not only against what the server reads back.
#ifndef EVSTORE_TESTS_INTEGRATION_SUBSCRIBE_SUPPORT_H_
#define EVSTORE_TESTS_INTEGRATION_SUBSCRIBE_SUPPORT_H_

#include <google/protobuf/util/message_differencer.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/evstore_client.h"
#include "evstore/v1/evstore.pb.h"

namespace evstore::testing {

// A canonical lowercase UUID unique within the test process.
inline std::string NextEventId() {
  static std::atomic<uint64_t> counter{1};
  const uint64_t n = counter.fetch_add(1);
  char text[37];
  std::snprintf(text, sizeof text, "5ab5c0de-0000-4000-8000-%012llx",
                static_cast<unsigned long long>(n));
  return text;
}

// A JSON payload of about `bytes` bytes that names its producer and sequence.
inline std::string JsonPayload(int producer, uint64_t seq, size_t bytes) {
  std::string head = "{\"producer\":" + std::to_string(producer) +
                     ",\"seq\":" + std::to_string(seq) + ",\"pad\":\"";
  const size_t fixed = head.size() + 2;
  if (bytes > fixed) head.append(bytes - fixed, 'x');
  head += "\"}";
  return head;
}

// One event as the producer wrote it and where the server put it.
struct ModelEvent {
  std::string customer;
  std::string stream;
  uint64_t revision = 0;
  uint64_t position = 0;
  std::string id;
  std::string type;
  std::string content_type;
  std::string data;
  std::map<std::string, std::string> metadata;
};

// Every event appended through Record(), per customer. Thread-safe.
class FeedModel {
 public:
  // Records a successful, non-duplicate append.
  void Record(const v1::AppendRequest& request,
              const v1::AppendResponse& response) {
    std::lock_guard<std::mutex> lock(mu_);
    std::map<uint64_t, ModelEvent>& feed = feeds_[request.customer()];
    uint64_t position = response.first_position();
    for (int w = 0; w < request.writes_size(); ++w) {
      const v1::StreamWrite& write = request.writes(w);
      uint64_t revision = response.streams(w).first_revision();
      for (const v1::ProposedEvent& proposed : write.events()) {
        ModelEvent event;
        event.customer = request.customer();
        event.stream = write.stream();
        event.revision = revision++;
        event.position = position++;
        event.id = proposed.id();
        event.type = proposed.type();
        event.content_type = proposed.content_type().empty()
                                 ? "application/json"
                                 : proposed.content_type();
        event.data = proposed.data();
        event.metadata.insert(proposed.metadata().begin(),
                              proposed.metadata().end());
        feed[event.position] = std::move(event);
      }
    }
  }

  // The customer's feed, index i holding position i+1. Fails the test when
  // the recorded positions are not exactly 1..N.
  std::vector<ModelEvent> Feed(const std::string& customer) const {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<ModelEvent> out;
    auto it = feeds_.find(customer);
    if (it == feeds_.end()) return out;
    for (const auto& [position, event] : it->second) {
      if (position != out.size() + 1) {
        FAIL("model of " << customer << " has no event at position "
                         << out.size() + 1 << " (next is " << position << ")");
      }
      out.push_back(event);
    }
    return out;
  }

  // Every recorded event of the customer by position (possibly with holes,
  // e.g. where an append was never acknowledged).
  std::map<uint64_t, ModelEvent> Positions(const std::string& customer) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = feeds_.find(customer);
    return it == feeds_.end() ? std::map<uint64_t, ModelEvent>() : it->second;
  }

  uint64_t Head(const std::string& customer) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = feeds_.find(customer);
    return it == feeds_.end() || it->second.empty()
               ? 0
               : it->second.rbegin()->first;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::map<uint64_t, ModelEvent>> feeds_;
};

// Builds an append of `count` events spread round-robin over `streams`
// (each stream appears once, with its events in order).
inline v1::AppendRequest MakeAppend(const std::string& customer,
                                    const std::vector<std::string>& streams,
                                    const std::vector<std::string>& types,
                                    int producer, uint64_t* seq, size_t count,
                                    size_t payload_bytes) {
  v1::AppendRequest request;
  request.set_customer(customer);
  const size_t n_streams = std::min(streams.size(), count);
  for (size_t s = 0; s < n_streams; ++s) {
    request.add_writes()->set_stream(streams[s]);
  }
  for (size_t i = 0; i < count; ++i) {
    v1::ProposedEvent* event =
        request.mutable_writes(static_cast<int>(i % n_streams))->add_events();
    const uint64_t n = (*seq)++;
    event->set_id(NextEventId());
    event->set_type(types[n % types.size()]);
    event->set_data(JsonPayload(producer, n, payload_bytes));
    if (n % 3 == 0) {
      (*event->mutable_metadata())["source"] =
          "producer-" + std::to_string(producer);
      (*event->mutable_metadata())["seq"] = std::to_string(n);
    }
    if (n % 5 == 0) event->set_content_type("application/vnd.evstore+json");
  }
  return request;
}

// Appends and records; fails the test (from the calling thread, so call it
// from the main thread only) when the append fails.
inline v1::AppendResponse AppendOrFail(const client::Client& client,
                                       FeedModel& model,
                                       const v1::AppendRequest& request) {
  absl::StatusOr<v1::AppendResponse> response = client.Append(request);
  INFO("append failed: " << response.status().ToString());
  REQUIRE(response.ok());
  REQUIRE_FALSE(response->duplicate());
  model.Record(request, *response);
  return *response;
}

// What a subscription delivered, in order.
struct Received {
  struct Marker {
    enum class Kind { kCaughtUp, kHeartbeat };
    Kind kind;
    uint64_t position;
    // How many events had arrived before this marker.
    size_t events_before;
    absl::Time at;
  };
  std::vector<v1::RecordedEvent> events;
  std::vector<Marker> markers;
  bool ended = false;
  absl::Status end_status;  // Set once `ended`.
  size_t messages = 0;

  // Everything up to this position has been accounted for by the stream:
  // the last event or marker position seen.
  uint64_t covered() const {
    uint64_t c = events.empty() ? 0 : events.back().position();
    if (!markers.empty() && markers.back().position > c) {
      c = markers.back().position;
    }
    return c;
  }
  size_t caught_ups() const {
    size_t n = 0;
    for (const Marker& m : markers) n += m.kind == Marker::Kind::kCaughtUp;
    return n;
  }
  size_t heartbeats() const { return markers.size() - caught_ups(); }
};

// Appends one message (or the end) to `received`. Returns false when the
// stream has ended.
inline bool Absorb(absl::StatusOr<v1::SubscribeResponse>& next,
                   Received& received) {
  if (!next.ok()) {
    received.ended = true;
    received.end_status = next.status();
    return false;
  }
  ++received.messages;
  v1::SubscribeResponse& message = *next;
  switch (message.message_case()) {
    case v1::SubscribeResponse::kEvents:
      for (v1::RecordedEvent& event :
           *message.mutable_events()->mutable_events()) {
        received.events.push_back(std::move(event));
      }
      break;
    case v1::SubscribeResponse::kCaughtUp:
      received.markers.push_back({Received::Marker::Kind::kCaughtUp,
                                  message.caught_up().position(),
                                  received.events.size(), absl::Now()});
      break;
    case v1::SubscribeResponse::kHeartbeat:
      received.markers.push_back({Received::Marker::Kind::kHeartbeat,
                                  message.heartbeat().position(),
                                  received.events.size(), absl::Now()});
      break;
    default:
      // An empty message: recorded as a heartbeat at position 0 so that the
      // checker flags it.
      received.markers.push_back({Received::Marker::Kind::kHeartbeat, 0,
                                  received.events.size(), absl::Now()});
      break;
  }
  return true;
}

// A PullUntil condition: live (caught_up seen) and everything up to `head`
// accounted for.
inline std::function<bool(const Received&)> LiveThrough(uint64_t head) {
  return [head](const Received& r) {
    return r.caught_ups() > 0 && r.covered() >= head;
  };
}

// Pulls messages into `received` until `done(received)` holds, the stream
// ends, or `timeout` passes. Returns whether `done` holds. Sleeps `pause`
// after each message (a slow consumer). Safe to call from any thread (it
// makes no Catch2 assertions).
inline bool PullUntil(client::Subscription& subscription, Received& received,
                      const std::function<bool(const Received&)>& done,
                      absl::Duration timeout,
                      absl::Duration pause = absl::ZeroDuration()) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!done(received)) {
    if (received.ended) return false;
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return false;
    absl::StatusOr<v1::SubscribeResponse> next =
        subscription.Next(std::min(left, absl::Milliseconds(100)));
    if (!next.ok() && absl::IsDeadlineExceeded(next.status())) continue;
    Absorb(next, received);
    if (pause > absl::ZeroDuration()) absl::SleepFor(pause);
  }
  return true;
}

// Pulls a subscription on its own thread until it has caught up and covers
// a target position that is set later (e.g. once the producers have
// stopped).
class BackgroundPuller {
 public:
  // Sleeps `pause` after each message (a slow consumer).
  explicit BackgroundPuller(std::unique_ptr<client::Subscription> subscription,
                            absl::Duration timeout = absl::Seconds(60),
                            absl::Duration pause = absl::ZeroDuration())
      : subscription_(std::move(subscription)) {
    thread_ = std::thread([this, timeout, pause] {
      reached_ = PullUntil(
          *subscription_, received_,
          [this](const Received& r) {
            if (r.caught_ups() > 0) caught_up_.store(true);
            covered_.store(r.covered());
            return stop_.load() ||
                   (r.caught_ups() > 0 && r.covered() >= target_.load());
          },
          timeout, pause);
      caught_up_.store(caught_up_.load() || received_.caught_ups() > 0);
      finished_.store(true);
    });
  }
  ~BackgroundPuller() {
    if (thread_.joinable()) {
      stop_.store(true);
      thread_.join();
    }
  }
  BackgroundPuller(const BackgroundPuller&) = delete;
  BackgroundPuller& operator=(const BackgroundPuller&) = delete;

  void SetTarget(uint64_t position) { target_.store(position); }
  bool caught_up() const { return caught_up_.load(); }
  bool finished() const { return finished_.load(); }
  uint64_t covered() const { return covered_.load(); }

  // Waits for the thread; returns whether the target was reached.
  bool Join() {
    if (thread_.joinable()) thread_.join();
    return reached_;
  }
  const Received& received() const { return received_; }
  client::Subscription& subscription() { return *subscription_; }

 private:
  std::unique_ptr<client::Subscription> subscription_;
  std::atomic<uint64_t> target_{UINT64_MAX};
  std::atomic<bool> caught_up_{false};
  std::atomic<bool> stop_{false};
  std::atomic<bool> finished_{false};
  std::atomic<uint64_t> covered_{0};
  Received received_;  // Owned by the thread until Join().
  bool reached_ = false;
  std::thread thread_;
};

// What a subscription should have delivered.
struct Expectation {
  uint64_t after = 0;  // Events after this position.
  std::vector<std::string> stream_prefixes;
  std::vector<std::string> event_types;
  bool include_data = true;
  // The stream must deliver every matching event up to here.
  uint64_t through = 0;
  // caught_up must be at least this (the head when the subscriber started).
  uint64_t min_caught_up = 0;
  // How many caught_up messages (1 unless the stream ended during catch-up).
  size_t caught_ups = 1;

  // Fluent setters (designated initializers trip -Wmissing-field-initializers).
  Expectation& After(uint64_t p) {
    after = p;
    return *this;
  }
  Expectation& Prefixes(std::vector<std::string> p) {
    stream_prefixes = std::move(p);
    return *this;
  }
  Expectation& Types(std::vector<std::string> t) {
    event_types = std::move(t);
    return *this;
  }
  Expectation& WithoutData() {
    include_data = false;
    return *this;
  }
  Expectation& Through(uint64_t p) {
    through = p;
    return *this;
  }
  Expectation& MinCaughtUp(uint64_t p) {
    min_caught_up = p;
    return *this;
  }
  Expectation& CaughtUps(size_t n) {
    caught_ups = n;
    return *this;
  }

  bool Matches(const ModelEvent& e) const {
    bool stream_ok = stream_prefixes.empty();
    for (const std::string& p : stream_prefixes) {
      stream_ok = stream_ok || e.stream.compare(0, p.size(), p) == 0;
    }
    bool type_ok = event_types.empty();
    for (const std::string& t : event_types) type_ok = type_ok || e.type == t;
    return stream_ok && type_ok;
  }
};

// "" when `got` is `want` (as the subscription with `include_data` should
// deliver it), otherwise what differs.
inline std::string EventDifference(const v1::RecordedEvent& got,
                                   const ModelEvent& want, bool include_data) {
  std::ostringstream d;
  if (got.customer() != want.customer) {
    d << " customer " << got.customer() << " != " << want.customer;
  }
  if (got.position() != want.position) {
    d << " position " << got.position() << " != " << want.position;
  }
  if (got.id() != want.id) d << " id " << got.id() << " != " << want.id;
  if (got.stream() != want.stream) {
    d << " stream " << got.stream() << " != " << want.stream;
  }
  if (got.revision() != want.revision) {
    d << " revision " << got.revision() << " != " << want.revision;
  }
  if (got.type() != want.type)
    d << " type " << got.type() << " != " << want.type;
  if (got.content_type() != want.content_type) {
    d << " content_type " << got.content_type() << " != " << want.content_type;
  }
  const std::string& want_data = include_data ? want.data : std::string();
  if (got.data() != want_data) {
    d << " data (" << got.data().size() << " bytes) != expected ("
      << want_data.size() << " bytes)";
  }
  std::map<std::string, std::string> metadata(got.metadata().begin(),
                                              got.metadata().end());
  if (metadata != want.metadata) d << " metadata differs";
  if (got.recorded_at().seconds() <= 0) d << " recorded_at unset";
  return d.str();
}

// Checks a subscription's delivery against the model of the full feed
// (`feed[i]` is position i+1): exactly the matching events after
// `want.after`, in feed order, with no gap or duplicate, each identical to
// what was appended; exactly one caught_up; and every caught_up/heartbeat
// position P is truthful: the events before it are exactly the matching
// ones up to P. Call from the test's main thread.
inline void CheckDelivery(const Received& got,
                          const std::vector<ModelEvent>& feed,
                          const Expectation& want) {
  std::vector<const ModelEvent*> matching;
  for (const ModelEvent& e : feed) {
    if (e.position > want.after && want.Matches(e)) matching.push_back(&e);
  }
  size_t expected_count = 0;
  while (expected_count < matching.size() &&
         matching[expected_count]->position <= want.through) {
    ++expected_count;
  }

  // The sequence itself: report the first difference only.
  std::string first_difference;
  const size_t n = std::min(got.events.size(), matching.size());
  for (size_t i = 0; i < n && first_difference.empty(); ++i) {
    std::string d =
        EventDifference(got.events[i], *matching[i], want.include_data);
    if (!d.empty()) first_difference = "event #" + std::to_string(i) + ":" + d;
  }
  if (first_difference.empty() && got.events.size() > matching.size()) {
    first_difference = "an extra event at position " +
                       std::to_string(got.events[n].position()) +
                       " (beyond the model's " +
                       std::to_string(matching.size()) + " events)";
  }
  INFO("delivered " << got.events.size() << " events, expected "
                    << expected_count << " (through position " << want.through
                    << ", after " << want.after << "); stream ended: "
                    << got.ended << " " << got.end_status.ToString());
  INFO("first difference: " << first_difference);
  REQUIRE(first_difference.empty());
  REQUIRE(got.events.size() >= expected_count);

  // Markers.
  REQUIRE(got.caught_ups() == want.caught_ups);
  uint64_t previous = want.after;
  for (const Received::Marker& m : got.markers) {
    const bool caught_up = m.kind == Received::Marker::Kind::kCaughtUp;
    INFO((caught_up ? "caught_up" : "heartbeat")
         << " at position " << m.position << " after " << m.events_before
         << " events");
    CHECK(m.position >= previous);
    CHECK(m.position <= feed.size());
    previous = std::max(previous, m.position);
    if (caught_up) CHECK(m.position >= want.min_caught_up);
    // Every matching event up to P was delivered before the marker, none
    // after P.
    size_t matching_through = 0;
    while (matching_through < matching.size() &&
           matching[matching_through]->position <= m.position) {
      ++matching_through;
    }
    CHECK(m.events_before == matching_through);
  }
}

// The whole feed of `customer` as Read returns it.
inline std::vector<v1::RecordedEvent> ReadFeed(const client::Client& client,
                                               const std::string& customer,
                                               bool include_data = true) {
  v1::ReadRequest request;
  request.set_customer(customer);
  request.set_max_count(UINT64_MAX);
  request.set_include_data(include_data);
  absl::StatusOr<std::vector<v1::RecordedEvent>> events =
      client.ReadAll(request);
  INFO("Read failed: " << events.status().ToString());
  REQUIRE(events.ok());
  return *std::move(events);
}

// Requires that the delivered events equal Read's events at the same
// positions, field for field (including recorded_at and metadata).
inline void CheckEqualToRead(const std::vector<v1::RecordedEvent>& delivered,
                             const std::vector<v1::RecordedEvent>& read) {
  for (size_t i = 0; i < delivered.size(); ++i) {
    const uint64_t position = delivered[i].position();
    INFO("delivered event #" << i << " at position " << position);
    REQUIRE(position >= 1);
    REQUIRE(position <= read.size());
    const v1::RecordedEvent& expected = read[position - 1];
    REQUIRE(expected.position() == position);
    if (!google::protobuf::util::MessageDifferencer::Equals(delivered[i],
                                                            expected)) {
      FAIL("differs from Read:\n"
           << delivered[i].DebugString() << "vs\n"
           << expected.DebugString());
    }
  }
}

inline v1::SubscribeRequest SubscribeFrom(const std::string& customer,
                                          uint64_t after_position) {
  v1::SubscribeRequest request;
  request.set_customer(customer);
  request.set_after_position(after_position);
  return request;
}

}  // namespace evstore::testing

#endif  // EVSTORE_TESTS_INTEGRATION_SUBSCRIBE_SUPPORT_H_
