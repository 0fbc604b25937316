// AppendSession messages that carry several appends, against a real
// evstored, spoken to with the raw gRPC stub (to control what goes in one
// message) and through the client library (which coalesces on its own):
// every append is its own atomic append with its own result, appends of one
// message are sequenced in message order, and the per-message limit is
// answered per append.
#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <future>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "client/authorization.h"
#include "evstore/v1/evstore.grpc.pb.h"
#include "tests/integration/evstored_process.h"
#include "tests/integration/test_events.h"

namespace evstore::testing {
namespace {

using Catch::Matchers::Contains;

constexpr int kInvalidArgument = 3;
constexpr int kFailedPrecondition = 9;
constexpr size_t kMaxAppendsPerMessage = 256;  // As in the proto contract.
constexpr auto kWait = std::chrono::seconds(30);

// An AppendSession on the raw stub: sends whole messages and collects the
// results by correlation id.
class RawSession {
 public:
  explicit RawSession(const EvstoredProcess& server)
      : stub_(v1::EventStoreService::NewStub(grpc::CreateChannel(
            server.address(), grpc::InsecureChannelCredentials()))) {
    context_.set_deadline(std::chrono::system_clock::now() +
                          std::chrono::seconds(60));
    client::AddAuthorization(server.AdminToken(), context_);
    stream_ = stub_->AppendSession(&context_);
  }

  // Writes `request` and reads until `count` results have arrived (they may
  // come in several messages). Fails the test on a repeated id.
  std::map<uint64_t, v1::AppendSessionResult> Exchange(
      const v1::AppendSessionRequest& request, size_t count) {
    REQUIRE(stream_->Write(request));
    std::map<uint64_t, v1::AppendSessionResult> results;
    while (results.size() < count) {
      v1::AppendSessionResponse response;
      REQUIRE(stream_->Read(&response));
      REQUIRE(response.results_size() > 0);
      for (const v1::AppendSessionResult& result : response.results()) {
        INFO("correlation id " << result.correlation_id());
        REQUIRE(results.emplace(result.correlation_id(), result).second);
      }
    }
    return results;
  }

  // Half-closes and requires a clean end.
  void Close() {
    REQUIRE(stream_->WritesDone());
    v1::AppendSessionResponse extra;
    REQUIRE_FALSE(stream_->Read(&extra));
    const grpc::Status status = stream_->Finish();
    INFO(status.error_message());
    REQUIRE(status.ok());
  }

 private:
  std::unique_ptr<v1::EventStoreService::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<v1::AppendSessionRequest,
                                           v1::AppendSessionResponse>>
      stream_;
};

void Add(v1::AppendSessionRequest& message, uint64_t correlation_id,
         v1::AppendRequest append) {
  v1::SessionAppend* item = message.add_appends();
  item->set_correlation_id(correlation_id);
  *item->mutable_append() = std::move(append);
}

const v1::AppendResponse& Success(
    const std::map<uint64_t, v1::AppendSessionResult>& results, uint64_t id) {
  INFO("correlation id " << id);
  REQUIRE(results.count(id) == 1);
  const v1::AppendSessionResult& result = results.at(id);
  INFO("error: " << result.error().message());
  REQUIRE(result.has_success());
  return result.success();
}

const v1::AppendError& Failure(
    const std::map<uint64_t, v1::AppendSessionResult>& results, uint64_t id) {
  INFO("correlation id " << id);
  REQUIRE(results.count(id) == 1);
  const v1::AppendSessionResult& result = results.at(id);
  REQUIRE(result.has_error());
  return result.error();
}

TEST_CASE(
    "one message with mixed appends answers each on its own and records only "
    "the successful ones") {
  EvstoredProcess server;
  RawSession session(server);

  v1::AppendRequest first = SingleWrite(kOrsted, kNominations, 4001, 1, 2);
  first.mutable_writes(0)->set_expected_state(v1::EXPECTED_STATE_NO_STREAM);
  v1::AppendRequest malformed = SingleWrite(kOrsted, kNominations, 4002, 1, 1);
  malformed.set_customer("Not A Customer");
  v1::AppendRequest second = SingleWrite(kOrsted, kNominations, 4003, 1, 1);
  second.mutable_writes(0)->set_expected_revision(2);  // After `first`.
  v1::AppendRequest conflicting =
      SingleWrite(kOrsted, kNominations, 4004, 1, 1);
  conflicting.mutable_writes(0)->set_expected_revision(2);  // Taken now.
  v1::AppendRequest other_stream = SingleWrite(kOrsted, kForecast, 4005, 1, 1);

  v1::AppendSessionRequest message;
  Add(message, 11, first);
  Add(message, 12, malformed);
  Add(message, 13, second);
  Add(message, 14, conflicting);
  Add(message, 15, first);  // A retry of 11 in the same message.
  Add(message, 16, other_stream);
  const std::map<uint64_t, v1::AppendSessionResult> results =
      session.Exchange(message, 6);
  REQUIRE(results.size() == 6);

  const v1::AppendResponse& first_result = Success(results, 11);
  CHECK(first_result.first_position() == 1);
  CHECK(first_result.last_position() == 2);
  CHECK_FALSE(first_result.duplicate());

  const v1::AppendError& malformed_error = Failure(results, 12);
  CHECK(malformed_error.code() == kInvalidArgument);
  CHECK_THAT(malformed_error.message(), Contains("customer"));

  const v1::AppendResponse& second_result = Success(results, 13);
  CHECK(second_result.first_position() == 3);
  REQUIRE(second_result.streams_size() == 1);
  CHECK(second_result.streams(0).first_revision() == 3);

  const v1::AppendError& conflict = Failure(results, 14);
  CHECK(conflict.code() == kFailedPrecondition);
  CHECK_THAT(conflict.message(), Contains(kNominations));

  const v1::AppendResponse& retry = Success(results, 15);
  CHECK(retry.duplicate());
  CHECK(retry.first_position() == 1);
  CHECK(retry.last_position() == 2);

  const v1::AppendResponse& other = Success(results, 16);
  CHECK(other.first_position() == 4);

  session.Close();

  // Only the successful appends are recorded, densely, in message order.
  auto client = server.Connect();
  const std::vector<v1::RecordedEvent> feed = ReadFeed(*client, kOrsted);
  CHECK(PositionsOf(feed) == Sequence(1, 4));
  std::vector<std::string> expected_ids = IdsOf(first);
  expected_ids.push_back(IdsOf(second)[0]);
  expected_ids.push_back(IdsOf(other_stream)[0]);
  CHECK(IdsOf(feed) == expected_ids);
}

TEST_CASE(
    "the appends of one message are sequenced in message order and a retried "
    "message is answered as duplicates") {
  EvstoredProcess server;
  RawSession session(server);
  constexpr int kAppends = 40;
  // Each append names the revision the previous one leaves: only message
  // order makes them all succeed.
  v1::AppendSessionRequest message;
  for (int i = 0; i < kAppends; ++i) {
    v1::AppendRequest append = SingleWrite(kGasum, kNominations, 4100, i, 1);
    append.mutable_writes(0)->set_expected_revision(static_cast<uint64_t>(i));
    Add(message, 100 + static_cast<uint64_t>(i), std::move(append));
  }
  const auto results = session.Exchange(message, kAppends);
  for (int i = 0; i < kAppends; ++i) {
    const v1::AppendResponse& result =
        Success(results, 100 + static_cast<uint64_t>(i));
    CHECK(result.first_position() == static_cast<uint64_t>(i) + 1);
    CHECK_FALSE(result.duplicate());
  }

  // The same message again: every append is a duplicate with its original
  // result (expected revisions are not re-checked for a duplicate).
  const auto retried = session.Exchange(message, kAppends);
  for (int i = 0; i < kAppends; ++i) {
    const v1::AppendResponse& result =
        Success(retried, 100 + static_cast<uint64_t>(i));
    CHECK(result.duplicate());
    CHECK(result.first_position() == static_cast<uint64_t>(i) + 1);
  }
  session.Close();
  auto client = server.Connect();
  CHECK(FeedHead(*client, kGasum) == static_cast<uint64_t>(kAppends));
}

TEST_CASE(
    "a message over the appends limit is answered per append with "
    "INVALID_ARGUMENT and the session goes on") {
  EvstoredProcess server;
  RawSession session(server);

  v1::AppendSessionRequest too_many;
  for (size_t i = 0; i <= kMaxAppendsPerMessage; ++i) {
    Add(too_many, i + 1, SingleWrite(kOrsted, kNominations, 4200, i, 1));
  }
  const auto rejected = session.Exchange(too_many, kMaxAppendsPerMessage + 1);
  for (size_t i = 0; i <= kMaxAppendsPerMessage; ++i) {
    const v1::AppendError& error = Failure(rejected, i + 1);
    CHECK(error.code() == kInvalidArgument);
    CHECK_THAT(error.message(), Contains("at most 256 appends"));
  }

  // An empty message is ignored; the next one, at the limit, is served.
  REQUIRE(session.Exchange(v1::AppendSessionRequest(), 0).empty());
  v1::AppendSessionRequest at_limit;
  for (size_t i = 0; i < kMaxAppendsPerMessage; ++i) {
    Add(at_limit, 1000 + i, SingleWrite(kOrsted, kNominations, 4200, i, 1));
  }
  const auto accepted = session.Exchange(at_limit, kMaxAppendsPerMessage);
  for (size_t i = 0; i < kMaxAppendsPerMessage; ++i) {
    CHECK_FALSE(Success(accepted, 1000 + i).duplicate());
  }
  session.Close();
  auto client = server.Connect();
  CHECK(FeedHead(*client, kOrsted) == kMaxAppendsPerMessage);
}

TEST_CASE(
    "concurrent producers on one client session each get their own outcome "
    "also when the session coalesces them") {
  EvstoredProcess server;
  auto client = server.Connect();
  std::unique_ptr<client::AppendSession> session = client->OpenAppendSession();
  constexpr int kProducers = 32;
  constexpr int kRounds = 30;
  // Each producer owns a stream and waits for each outcome before the next,
  // like W1. Every third round it also sends a stale expected revision,
  // which must fail alone without touching the appends coalesced with it.
  // Catch2 assertions are not thread-safe: producers record what went wrong
  // and the test thread checks it.
  std::vector<std::string> problems(kProducers);
  std::vector<int> stale_failures(kProducers, 0);
  std::vector<std::thread> producers;
  producers.reserve(kProducers);
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      const size_t slot = static_cast<size_t>(p);
      const std::string stream = "contract/DS1" + std::to_string(p) + "/noms";
      uint64_t revision = 0;
      for (int round = 0; round < kRounds && problems[slot].empty(); ++round) {
        v1::AppendRequest request = SingleWrite(
            kOrsted, stream, 5000 + static_cast<uint32_t>(p), round, 1);
        request.mutable_writes(0)->set_expected_revision(revision);
        auto outcome = session->Append(request);
        if (round % 3 == 2) {
          v1::AppendRequest stale = SingleWrite(
              kOrsted, stream, 6000 + static_cast<uint32_t>(p), round, 1);
          stale.mutable_writes(0)->set_expected_revision(revision + 5);
          auto stale_outcome = session->Append(stale);
          if (stale_outcome.wait_for(kWait) != std::future_status::ready) {
            problems[slot] = "no outcome for a stale append";
            break;
          }
          if (stale_outcome.get().status().code() ==
              absl::StatusCode::kFailedPrecondition) {
            ++stale_failures[slot];
          }
        }
        if (outcome.wait_for(kWait) != std::future_status::ready) {
          problems[slot] = "no outcome in round " + std::to_string(round);
          break;
        }
        absl::StatusOr<v1::AppendResponse> response = outcome.get();
        if (!response.ok() || response->streams_size() != 1 ||
            response->streams(0).last_revision() != revision + 1) {
          problems[slot] = "round " + std::to_string(round) + ": " +
                           response.status().ToString() + " " +
                           (response.ok() ? response->DebugString() : "");
          break;
        }
        revision = response->streams(0).last_revision();
      }
    });
  }
  for (std::thread& producer : producers) producer.join();
  REQUIRE(session->Close(absl::Seconds(30)).ok());
  for (int p = 0; p < kProducers; ++p) {
    INFO("producer " << p);
    CHECK(problems[static_cast<size_t>(p)].empty());
    CHECK(stale_failures[static_cast<size_t>(p)] == kRounds / 3);
  }
  CHECK(FeedHead(*client, kOrsted) ==
        static_cast<uint64_t>(kProducers) * kRounds);
}

}  // namespace
}  // namespace evstore::testing
