// DeleteStream end to end (docs/retention.md): truncate and tombstone, the
// expected revision, appends after, retried ids, and readers and
// subscribers passing over the removed positions.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/integration/evstored_process.h"
#include "tests/integration/retention_support.h"
#include "tests/integration/test_events.h"

namespace evstore::testing {
namespace {

constexpr char kCustomer[] = "gasum";
constexpr char kDoomed[] = "contract/DS000068/nominations";
constexpr char kKept[] = "contract/DS000068/forecast";

grpc::Status Delete(RetentionCalls& calls, const std::string& stream,
                    v1::DeleteStreamMode mode,
                    std::optional<uint64_t> expected_revision,
                    v1::DeleteStreamResponse* response) {
  v1::DeleteStreamRequest request;
  request.set_customer(kCustomer);
  request.set_stream(stream);
  request.set_mode(mode);
  if (expected_revision) request.set_expected_revision(*expected_revision);
  grpc::ClientContext context;
  calls.Prepare(context);
  return calls.events().DeleteStream(&context, request, response);
}

grpc::Status TryAppend(RetentionCalls& calls, const v1::AppendRequest& request,
                       v1::AppendResponse* response) {
  grpc::ClientContext context;
  calls.Prepare(context);
  return calls.events().Append(&context, request, response);
}

std::vector<uint64_t> FeedPositions(RetentionCalls& calls) {
  std::vector<v1::RecordedEvent> events;
  REQUIRE(calls.ReadFeed(kCustomer, 0, 1000, &events).status.ok());
  std::vector<uint64_t> positions;
  positions.reserve(events.size());
  for (const v1::RecordedEvent& event : events) {
    positions.push_back(event.position());
  }
  return positions;
}

// Every event of a subscription from the beginning until it is caught up.
std::vector<uint64_t> SubscribeUntilCaughtUp(RetentionCalls& calls) {
  v1::SubscribeRequest request;
  request.set_customer(kCustomer);
  grpc::ClientContext context;
  calls.Prepare(context);
  auto reader = calls.events().Subscribe(&context, request);
  std::vector<uint64_t> positions;
  v1::SubscribeResponse response;
  while (reader->Read(&response)) {
    for (const v1::RecordedEvent& event : response.events().events()) {
      positions.push_back(event.position());
    }
    if (response.has_caught_up()) break;
  }
  context.TryCancel();
  while (reader->Read(&response)) {
  }
  (void)reader->Finish();
  return positions;
}

}  // namespace

TEST_CASE("truncate removes a stream's events and the stream continues") {
  EvstoredProcess server;
  RetentionCalls calls(server);
  const v1::AppendRequest doomed = SingleWrite(kCustomer, kDoomed, 1, 1, 3);
  calls.MustAppend(doomed);                                    // 1..3
  calls.MustAppend(SingleWrite(kCustomer, kKept, 2, 1, 2));    // 4..5
  calls.MustAppend(SingleWrite(kCustomer, kDoomed, 3, 1, 2));  // 6..7
  calls.MustAppend(SingleWrite(kCustomer, kKept, 4, 1, 1));    // 8

  v1::DeleteStreamResponse response;
  grpc::Status status =
      Delete(calls, kDoomed, v1::DELETE_STREAM_MODE_UNSPECIFIED, {}, &response);
  CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  status =
      Delete(calls, kDoomed, v1::DELETE_STREAM_MODE_TRUNCATE, 4, &response);
  CHECK(status.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK_THAT(status.error_message(),
             Catch::Matchers::Contains("actual revision is 5"));
  CHECK(FeedPositions(calls).size() == 8);

  status =
      Delete(calls, kDoomed, v1::DELETE_STREAM_MODE_TRUNCATE, 5, &response);
  REQUIRE(status.ok());
  CHECK(response.last_revision() == 5);
  CHECK(response.removed_events() == 5);
  CHECK_FALSE(response.tombstoned());

  // Gone from the feed, the stream, GetEvents and subscriptions.
  CHECK(FeedPositions(calls) == std::vector<uint64_t>{4, 5, 8});
  CHECK(SubscribeUntilCaughtUp(calls) == std::vector<uint64_t>{4, 5, 8});
  {
    v1::ReadRequest request;
    request.set_customer(kCustomer);
    request.set_stream(kDoomed);
    request.set_max_count(100);
    grpc::ClientContext context;
    calls.Prepare(context);
    auto reader = calls.events().Read(&context, request);
    v1::ReadResponse read;
    size_t events = 0;
    while (reader->Read(&read)) events += read.events_size();
    REQUIRE(reader->Finish().ok());
    CHECK(events == 0);
  }
  {
    v1::GetEventsRequest request;
    request.set_customer(kCustomer);
    request.add_positions(2);
    request.add_ids(TestUuid(1, 1));
    grpc::ClientContext context;
    calls.Prepare(context);
    v1::GetEventsResponse got;
    REQUIRE(calls.events().GetEvents(&context, request, &got).ok());
    CHECK(got.events_size() == 0);
    CHECK(got.missing_positions_size() == 1);
    CHECK(got.missing_ids_size() == 1);
  }

  // A retried removed append is a duplicate; new appends continue the
  // revisions and the positions.
  v1::AppendResponse appended;
  REQUIRE(TryAppend(calls, doomed, &appended).ok());
  CHECK(appended.duplicate());
  CHECK(appended.first_position() == 1);
  v1::AppendRequest next = SingleWrite(kCustomer, kDoomed, 5, 1, 1);
  next.mutable_writes(0)->set_expected_revision(5);
  appended = calls.MustAppend(next);
  CHECK(appended.streams(0).first_revision() == 6);
  CHECK(appended.first_position() == 9);

  // All of it survives a restart.
  server.Restart();
  RetentionCalls restarted(server);
  CHECK(FeedPositions(restarted) == std::vector<uint64_t>{4, 5, 8, 9});
  REQUIRE(TryAppend(restarted, doomed, &appended).ok());
  CHECK(appended.duplicate());
}

TEST_CASE("a tombstoned stream is closed for ever") {
  EvstoredProcess server;
  RetentionCalls calls(server);
  calls.MustAppend(SingleWrite(kCustomer, kDoomed, 1, 1, 2));
  v1::DeleteStreamResponse response;
  REQUIRE(
      Delete(calls, kDoomed, v1::DELETE_STREAM_MODE_TOMBSTONE, {}, &response)
          .ok());
  CHECK(response.tombstoned());
  CHECK(response.removed_events() == 2);
  CHECK(response.last_revision() == 2);

  v1::AppendResponse appended;
  grpc::Status status =
      TryAppend(calls, SingleWrite(kCustomer, kDoomed, 2, 1, 1), &appended);
  CHECK(status.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK_THAT(status.error_message(), Catch::Matchers::Contains(kDoomed));
  CHECK(Delete(calls, kDoomed, v1::DELETE_STREAM_MODE_TRUNCATE, {}, &response)
            .error_code() == grpc::StatusCode::FAILED_PRECONDITION);

  server.Kill();
  server.Start();
  RetentionCalls restarted(server);
  status =
      TryAppend(restarted, SingleWrite(kCustomer, kDoomed, 3, 1, 1), &appended);
  INFO(status.error_message());
  CHECK(status.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  REQUIRE(
      TryAppend(restarted, SingleWrite(kCustomer, kKept, 4, 1, 1), &appended)
          .ok());
  CHECK(appended.first_position() == 3);  // positions are never reused
}

TEST_CASE("a live subscriber passes over removed events without a stall") {
  EvstoredProcess server;
  RetentionCalls calls(server);
  calls.MustAppend(SingleWrite(kCustomer, kKept, 1, 1, 2));    // 1..2
  calls.MustAppend(SingleWrite(kCustomer, kDoomed, 2, 1, 3));  // 3..5

  v1::SubscribeRequest request;
  request.set_customer(kCustomer);
  request.set_heartbeat_interval_ms(200);
  grpc::ClientContext context;
  calls.Prepare(context);
  auto reader = calls.events().Subscribe(&context, request);
  std::vector<uint64_t> positions;
  v1::SubscribeResponse response;
  while (positions.size() < 5 && reader->Read(&response)) {
    for (const v1::RecordedEvent& event : response.events().events()) {
      positions.push_back(event.position());
    }
  }
  REQUIRE(positions.size() == 5);
  v1::DeleteStreamResponse deleted;
  REQUIRE(Delete(calls, kDoomed, v1::DELETE_STREAM_MODE_TRUNCATE, {}, &deleted)
              .ok());
  calls.MustAppend(SingleWrite(kCustomer, kKept, 3, 1, 2));  // 6..7
  while (positions.back() < 7 && reader->Read(&response)) {
    for (const v1::RecordedEvent& event : response.events().events()) {
      positions.push_back(event.position());
    }
  }
  context.TryCancel();
  while (reader->Read(&response)) {
  }
  (void)reader->Finish();
  CHECK(positions == std::vector<uint64_t>{1, 2, 3, 4, 5, 6, 7});
  // A subscriber from the start now sees the kept ones only.
  CHECK(SubscribeUntilCaughtUp(calls) == std::vector<uint64_t>{1, 2, 6, 7});
}

}  // namespace evstore::testing
