// AppendSession against a real evstored: many appends in flight from several
// threads, per-request errors, duplicates and a clean close.
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "tests/integration/evstored_process.h"
#include "tests/integration/test_events.h"

namespace evstore::testing {
namespace {

using Catch::Matchers::Contains;

constexpr auto kWait = std::chrono::seconds(20);

// Waits for a session append's outcome, failing the test instead of hanging.
absl::StatusOr<v1::AppendResponse> Await(
    std::future<absl::StatusOr<v1::AppendResponse>>& outcome) {
  REQUIRE(outcome.wait_for(kWait) == std::future_status::ready);
  return outcome.get();
}

// Bounds the appends in flight: Acquire blocks while `limit` are unanswered.
class InFlightLimit {
 public:
  explicit InFlightLimit(int limit) : limit_(limit) {}
  void Acquire() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return in_flight_ < limit_; });
    ++in_flight_;
    max_seen_ = std::max(max_seen_, in_flight_);
  }
  void Release() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      --in_flight_;
    }
    cv_.notify_all();
  }
  int max_seen() {
    std::lock_guard<std::mutex> lock(mu_);
    return max_seen_;
  }

 private:
  const int limit_;
  std::mutex mu_;
  std::condition_variable cv_;
  int in_flight_ = 0;
  int max_seen_ = 0;
};

TEST_CASE(
    "a thousand appends from several threads over one session each get their "
    "own result") {
  EvstoredProcess server;
  auto client = server.Connect();
  std::unique_ptr<client::AppendSession> session = client->OpenAppendSession();

  constexpr int kThreads = 8;
  constexpr int kPerThread = 125;
  constexpr size_t kTotal = static_cast<size_t>(kThreads) * kPerThread;
  InFlightLimit limit(64);
  std::mutex mu;
  // Event id -> the outcome its append received.
  std::map<std::string, absl::StatusOr<v1::AppendResponse>> outcomes;
  std::atomic<int> answered{0};

  const auto stream_of = [](int thread) {
    return "contract/DS0000" + std::to_string(70 + thread) + "/nominations";
  };
  std::vector<std::thread> producers;
  producers.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    producers.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        v1::AppendRequest request = SingleWrite(
            kOrsted, stream_of(t), 1000 + static_cast<uint32_t>(t), i + 1, 1);
        const std::string id = request.writes(0).events(0).id();
        limit.Acquire();
        session->AppendAsync(
            std::move(request),
            [&, id](absl::StatusOr<v1::AppendResponse> outcome) {
              {
                std::lock_guard<std::mutex> lock(mu);
                outcomes.emplace(id, std::move(outcome));
              }
              answered.fetch_add(1);
              limit.Release();
            });
      }
    });
  }
  for (std::thread& producer : producers) producer.join();
  REQUIRE(session->Close(absl::Seconds(30)).ok());
  REQUIRE(answered.load() == kThreads * kPerThread);
  CHECK(limit.max_seen() <= 64);

  // Every append succeeded, once, with a position of its own.
  std::lock_guard<std::mutex> lock(mu);
  REQUIRE(outcomes.size() == kTotal);
  std::set<uint64_t> positions;
  std::map<uint64_t, std::string> id_at;
  for (const auto& [id, outcome] : outcomes) {
    INFO("append of " << id << ": " << outcome.status());
    REQUIRE(outcome.ok());
    CHECK_FALSE(outcome->duplicate());
    CHECK(outcome->first_position() == outcome->last_position());
    REQUIRE(outcome->streams_size() == 1);
    positions.insert(outcome->first_position());
    id_at[outcome->first_position()] = id;
  }
  CHECK(positions.size() == kTotal);
  CHECK(*positions.begin() == 1);
  CHECK(*positions.rbegin() == kTotal);

  // Each reply belongs to its own request: the event recorded at the
  // position a reply names is the one that request carried, on its stream
  // and at the revision the reply names.
  const std::vector<v1::RecordedEvent> feed = ReadFeed(*client, kOrsted);
  REQUIRE(feed.size() == kTotal);
  std::map<std::string, uint64_t> revisions_seen;
  for (const v1::RecordedEvent& event : feed) {
    CHECK(event.id() == id_at[event.position()]);
    const v1::AppendResponse& reply = *outcomes.at(event.id());
    CHECK(reply.streams(0).stream() == event.stream());
    CHECK(reply.streams(0).first_revision() == event.revision());
    // Within a stream, revisions follow feed order without gaps.
    CHECK(event.revision() == ++revisions_seen[event.stream()]);
  }
  for (int t = 0; t < kThreads; ++t) {
    CHECK(revisions_seen[stream_of(t)] == kPerThread);
  }
}

TEST_CASE(
    "a failed append on a session gets its own error and the session "
    "continues") {
  EvstoredProcess server;
  auto client = server.Connect();
  std::unique_ptr<client::AppendSession> session = client->OpenAppendSession();

  auto first = session->Append(SingleWrite(kOrsted, kNominations, 1, 1, 2));
  const absl::StatusOr<v1::AppendResponse> first_result = Await(first);
  REQUIRE(first_result.ok());
  CHECK(first_result->last_position() == 2);

  // Three appends in flight at once: a wrong expected revision, a malformed
  // request and a good one on another stream.
  v1::AppendRequest stale = SingleWrite(kOrsted, kNominations, 2, 1, 1);
  stale.mutable_writes(0)->set_expected_revision(1);
  v1::AppendRequest malformed = SingleWrite(kOrsted, kForecast, 3, 1, 2);
  malformed.mutable_writes(0)->mutable_events(1)->set_id("not-a-uuid");
  v1::AppendRequest good = SingleWrite(kOrsted, kForecast, 4, 1, 1);
  auto stale_outcome = session->Append(stale);
  auto malformed_outcome = session->Append(malformed);
  auto good_outcome = session->Append(good);

  const absl::StatusOr<v1::AppendResponse> stale_result = Await(stale_outcome);
  REQUIRE_FALSE(stale_result.ok());
  CHECK(stale_result.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(MessageOf(stale_result.status()),
             Contains(kNominations) && Contains("expected revision 1") &&
                 Contains("actual revision is 2"));

  const absl::StatusOr<v1::AppendResponse> malformed_result =
      Await(malformed_outcome);
  REQUIRE_FALSE(malformed_result.ok());
  CHECK(malformed_result.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(MessageOf(malformed_result.status()),
             Contains("writes[0].events[1].id") && Contains("not a UUID"));

  const absl::StatusOr<v1::AppendResponse> good_result = Await(good_outcome);
  REQUIRE(good_result.ok());
  CHECK(good_result->first_position() == 3);
  CHECK(good_result->streams(0).stream() == kForecast);

  // The session is still usable after the failures.
  auto later = session->Append(SingleWrite(kOrsted, kNominations, 5, 1, 1));
  const absl::StatusOr<v1::AppendResponse> later_result = Await(later);
  REQUIRE(later_result.ok());
  CHECK(later_result->first_position() == 4);
  CHECK(later_result->streams(0).first_revision() == 3);
  CHECK(session->Close(absl::Seconds(10)).ok());

  // The failed appends wrote nothing.
  const std::vector<v1::RecordedEvent> feed = ReadFeed(*client, kOrsted);
  CHECK(PositionsOf(feed) == Sequence(1, 4));
  for (const v1::RecordedEvent& event : feed) {
    CHECK(event.id() != TestUuid(2, 1));
    CHECK(event.id() != TestUuid(3, 1));
  }
}

TEST_CASE(
    "retrying an append over a session returns the original result marked "
    "duplicate") {
  EvstoredProcess server;
  auto client = server.Connect();
  std::unique_ptr<client::AppendSession> session = client->OpenAppendSession();

  v1::AppendRequest request;
  request.set_customer(kOrsted);
  AddWrite(request, kNominations, 10, 1, 2)
      ->set_expected_state(v1::EXPECTED_STATE_NO_STREAM);
  AddWrite(request, kForecast, 10, 3, 1);
  auto original_outcome = session->Append(request);
  const absl::StatusOr<v1::AppendResponse> original = Await(original_outcome);
  REQUIRE(original.ok());
  CHECK_FALSE(original->duplicate());

  auto retry_outcome = session->Append(request);
  const absl::StatusOr<v1::AppendResponse> retry = Await(retry_outcome);
  REQUIRE(retry.ok());
  CHECK(retry->duplicate());
  CHECK(retry->first_position() == original->first_position());
  CHECK(retry->last_position() == original->last_position());
  REQUIRE(retry->streams_size() == 2);
  CHECK(retry->streams(1).first_revision() ==
        original->streams(1).first_revision());
  CHECK(retry->recorded_at().seconds() == original->recorded_at().seconds());
  CHECK(retry->recorded_at().nanos() == original->recorded_at().nanos());

  // The unary Append recognises an append made over a session too.
  const v1::AppendResponse unary = MustAppend(*client, request);
  CHECK(unary.duplicate());
  CHECK(unary.first_position() == original->first_position());

  // Mixed recorded and new ids fail with ALREADY_EXISTS over the session.
  v1::AppendRequest mixed = SingleWrite(kOrsted, kNominations, 11, 1, 1);
  *mixed.mutable_writes(0)->add_events() = Nomination(TestUuid(10, 1), 1);
  auto mixed_outcome = session->Append(mixed);
  const absl::StatusOr<v1::AppendResponse> mixed_result = Await(mixed_outcome);
  REQUIRE_FALSE(mixed_result.ok());
  CHECK(mixed_result.status().code() == absl::StatusCode::kAlreadyExists);
  CHECK_THAT(MessageOf(mixed_result.status()),
             Contains("mixes recorded and new event ids"));

  CHECK(session->Close(absl::Seconds(10)).ok());
  CHECK(PositionsOf(ReadFeed(*client, kOrsted)) == Sequence(1, 3));
}

TEST_CASE(
    "closing a session answers every accepted append and then refuses new "
    "ones") {
  EvstoredProcess server;
  auto client = server.Connect();
  std::unique_ptr<client::AppendSession> session = client->OpenAppendSession();

  constexpr int kAppends = 200;
  std::mutex mu;
  std::vector<absl::StatusOr<v1::AppendResponse>> outcomes;
  for (int i = 0; i < kAppends; ++i) {
    session->AppendAsync(SingleWrite(kOrsted, kNominations, 20, i + 1, 1),
                         [&](absl::StatusOr<v1::AppendResponse> outcome) {
                           std::lock_guard<std::mutex> lock(mu);
                           outcomes.push_back(std::move(outcome));
                         });
  }
  // Close does not return before every accepted append is answered.
  const absl::Status closed = session->Close(absl::Seconds(30));
  INFO("close: " << closed);
  REQUIRE(closed.ok());
  {
    std::lock_guard<std::mutex> lock(mu);
    REQUIRE(outcomes.size() == kAppends);
    for (const auto& outcome : outcomes) {
      INFO("outcome: " << outcome.status());
      CHECK(outcome.ok());
    }
  }
  CHECK(FeedHead(*client, kOrsted) == kAppends);

  // After Close, appends are refused at once and nothing is sent.
  auto refused = session->Append(SingleWrite(kOrsted, kNominations, 21, 1, 1));
  REQUIRE(refused.wait_for(std::chrono::seconds(5)) ==
          std::future_status::ready);
  const absl::StatusOr<v1::AppendResponse> refused_result = refused.get();
  CHECK(refused_result.status().code() ==
        absl::StatusCode::kFailedPrecondition);
  // Closing again waits for the same, already reached, end.
  CHECK(session->Close(absl::Seconds(5)).ok());
  session.reset();
  CHECK(FeedHead(*client, kOrsted) == kAppends);
}

TEST_CASE(
    "a session with thousands of unbounded appends in flight answers every "
    "one") {
  EvstoredProcess server;
  auto client = server.Connect();
  std::unique_ptr<client::AppendSession> session = client->OpenAppendSession();

  // More than the server reads ahead (1,024 unanswered), all at once.
  constexpr int kAppends = 3000;
  std::mutex mu;
  int ok = 0;
  std::vector<std::string> failures;
  for (int i = 0; i < kAppends; ++i) {
    session->AppendAsync(
        SingleWrite(kOrsted, kNominations, 30, i + 1, 1),
        [&](const absl::StatusOr<v1::AppendResponse>& outcome) {
          std::lock_guard<std::mutex> lock(mu);
          if (outcome.ok()) {
            ++ok;
          } else {
            failures.push_back(outcome.status().ToString());
          }
        });
  }
  const absl::Status closed = session->Close(absl::Seconds(60));
  INFO("close: " << closed);
  REQUIRE(closed.ok());
  std::lock_guard<std::mutex> lock(mu);
  CHECK(failures.empty());
  CHECK(ok == kAppends);
  // Written in the order they were accepted: one stream, revisions follow
  // the ids.
  const std::vector<v1::RecordedEvent> events =
      ReadStream(*client, kOrsted, kNominations);
  REQUIRE(events.size() == kAppends);
  CHECK(PositionsOf(events) == Sequence(1, kAppends));
}

TEST_CASE("a session ends with UNAVAILABLE when the server shuts down") {
  EvstoredProcess server;
  auto client = server.Connect();
  std::unique_ptr<client::AppendSession> session = client->OpenAppendSession();
  auto first = session->Append(SingleWrite(kOrsted, kNominations, 40, 1, 1));
  REQUIRE(Await(first).ok());

  // The open session must not hold up a graceful shutdown.
  const auto stop_started = std::chrono::steady_clock::now();
  const int status = server.Stop();
  const auto stop_took = std::chrono::steady_clock::now() - stop_started;
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(stop_took < std::chrono::seconds(10));

  // Appends on the ended session fail, and the session reports its end.
  auto after = session->Append(SingleWrite(kOrsted, kNominations, 40, 2, 1));
  const absl::StatusOr<v1::AppendResponse> after_result = Await(after);
  REQUIRE_FALSE(after_result.ok());
  CHECK(after_result.status().code() == absl::StatusCode::kUnavailable);
  const absl::Status closed = session->Close(absl::Seconds(5));
  CHECK(closed.code() == absl::StatusCode::kUnavailable);

  // After a restart a new session works and the pre-shutdown append is kept.
  server.Start();
  client = server.Connect();
  session = client->OpenAppendSession();
  auto again = session->Append(SingleWrite(kOrsted, kNominations, 40, 2, 1));
  const absl::StatusOr<v1::AppendResponse> again_result = Await(again);
  REQUIRE(again_result.ok());
  CHECK(again_result->first_position() == 2);
  CHECK(session->Close(absl::Seconds(10)).ok());
}

}  // namespace
}  // namespace evstore::testing
