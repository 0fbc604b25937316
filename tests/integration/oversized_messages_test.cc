// Requests larger than the server accepts: over gRPC's receive limit, over
// --max_append_bytes, over --max_event_bytes. Each must fail with a clear
// error naming the limit, and nothing of it may be written.
#include <catch2/catch.hpp>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/time/time.h"
#include "client/evstore_client.h"
#include "tests/integration/evstored_process.h"
#include "tests/integration/test_events.h"

namespace evstore::testing {
namespace {

constexpr size_t kMaxEventBytes = 64 << 10;
constexpr size_t kMaxAppendBytes = 1 << 20;
// The server accepts messages of max_append_bytes + 1 MiB + 600 bytes per
// allowed event: here 1 + 1 + 0.6 MiB, about 2.6 MiB.
constexpr size_t kMaxAppendEvents = 1000;
constexpr size_t kOverReceiveLimit = 4 << 20;

std::vector<std::string> Limits() {
  return {"--max_event_bytes=" + std::to_string(kMaxEventBytes),
          "--max_append_bytes=" + std::to_string(kMaxAppendBytes),
          "--max_append_events=" + std::to_string(kMaxAppendEvents)};
}

// An append of `count` events of `data_bytes` bytes each to one stream.
v1::AppendRequest AppendOf(uint32_t series, int count, size_t data_bytes) {
  v1::AppendRequest request;
  request.set_customer(kOrsted);
  v1::StreamWrite* write = request.add_writes();
  write->set_stream(kNominations);
  for (int i = 0; i < count; ++i) {
    v1::ProposedEvent* event = write->add_events();
    event->set_id(TestUuid(series, i));
    event->set_type(kNominationResponse);
    event->set_data("\"" + std::string(data_bytes - 2, 'x') + "\"");
  }
  return request;
}

// Requires that none of the request's events exists and the head is `head`.
void RequireNothingWritten(const client::Client& client,
                           const v1::AppendRequest& request, uint64_t head) {
  CHECK(FeedHead(client, kOrsted) == head);
  v1::GetEventsRequest get;
  get.set_customer(kOrsted);
  for (const std::string& id : IdsOf(request)) get.add_ids(id);
  absl::StatusOr<v1::GetEventsResponse> got = client.GetEvents(get);
  REQUIRE(got.ok());
  CHECK(got->events_size() == 0);
  CHECK(static_cast<size_t>(got->missing_ids_size()) == IdsOf(request).size());
}

void RequireFailsWith(const absl::StatusOr<v1::AppendResponse>& response,
                      absl::StatusCode code, const std::string& naming) {
  REQUIRE_FALSE(response.ok());
  INFO(response.status().ToString());
  CHECK(response.status().code() == code);
  CHECK(absl::StrContains(response.status().message(), naming));
}

TEST_CASE("oversized appends fail with a clear error and write nothing") {
  EvstoredProcess server(Limits());
  std::unique_ptr<client::Client> client = server.Connect();
  // Up to the limits is fine: one event of max_event_bytes, and an append
  // of 15 such events (16 would exceed max_append_bytes: types count too).
  MustAppend(*client, AppendOf(1, 1, kMaxEventBytes));
  MustAppend(*client, AppendOf(2, 15, kMaxEventBytes));
  const uint64_t head = FeedHead(*client, kOrsted);
  REQUIRE(head == 16);

  SECTION("a message over the server's receive limit") {
    const v1::AppendRequest request = AppendOf(3, 1, kOverReceiveLimit);
    RequireFailsWith(client->Append(request),
                     absl::StatusCode::kResourceExhausted, "");
    RequireNothingWritten(*client, request, head);
  }
  SECTION("an append over max_append_bytes") {
    const v1::AppendRequest request = AppendOf(4, 17, kMaxEventBytes);
    RequireFailsWith(client->Append(request),
                     absl::StatusCode::kResourceExhausted,
                     "at most 1048576 are allowed per append");
    RequireNothingWritten(*client, request, head);
  }
  SECTION("an event over max_event_bytes, last in an append") {
    v1::AppendRequest request = AppendOf(5, 5, 1024);
    request.mutable_writes(0)->mutable_events(4)->set_data(
        "\"" + std::string(kMaxEventBytes, 'y') + "\"");
    RequireFailsWith(client->Append(request),
                     absl::StatusCode::kResourceExhausted,
                     "at most 65536 are allowed per event");
    RequireNothingWritten(*client, request, head);
  }
  SECTION("an append over max_append_events") {
    const v1::AppendRequest request = AppendOf(6, kMaxAppendEvents + 1, 16);
    RequireFailsWith(client->Append(request),
                     absl::StatusCode::kResourceExhausted,
                     "at most 1000 are allowed per append");
    RequireNothingWritten(*client, request, head);
  }
  // The server is unharmed.
  MustAppend(*client, AppendOf(7, 3, 512));
  CHECK(FeedHead(*client, kOrsted) == head + 3);
}

TEST_CASE(
    "an append session rejects oversized appends one by one and ends on a "
    "message over the receive limit") {
  EvstoredProcess server(Limits());
  std::unique_ptr<client::Client> client = server.Connect();
  MustAppend(*client, AppendOf(1, 2, 1024));
  std::unique_ptr<client::AppendSession> session = client->OpenAppendSession();

  const v1::AppendRequest too_many_bytes = AppendOf(2, 17, kMaxEventBytes);
  RequireFailsWith(session->Append(too_many_bytes).get(),
                   absl::StatusCode::kResourceExhausted,
                   "at most 1048576 are allowed per append");
  v1::AppendRequest event_too_large = AppendOf(3, 1, kMaxEventBytes + 1);
  RequireFailsWith(session->Append(event_too_large).get(),
                   absl::StatusCode::kResourceExhausted,
                   "at most 65536 are allowed per event");
  // A rejected append does not end the session.
  absl::StatusOr<v1::AppendResponse> fine =
      session->Append(AppendOf(4, 2, 1024)).get();
  REQUIRE(fine.ok());
  CHECK(fine->last_position() == 4);

  // A message gRPC refuses to receive ends the stream itself.
  const v1::AppendRequest over_limit = AppendOf(5, 1, kOverReceiveLimit);
  absl::StatusOr<v1::AppendResponse> refused =
      session->Append(over_limit).get();
  REQUIRE_FALSE(refused.ok());
  INFO(refused.status().ToString());
  CHECK(refused.status().code() == absl::StatusCode::kResourceExhausted);
  CHECK_FALSE(session->Close(absl::Seconds(10)).ok());

  RequireNothingWritten(*client, too_many_bytes, 4);
  RequireNothingWritten(*client, event_too_large, 4);
  RequireNothingWritten(*client, over_limit, 4);
}

TEST_CASE("read and get requests over the receive limit fail cleanly") {
  EvstoredProcess server(Limits());
  std::unique_ptr<client::Client> client = server.Connect();
  MustAppend(*client, AppendOf(1, 2, 1024));

  v1::ReadRequest read;
  read.set_customer(std::string(kOverReceiveLimit, 'c'));
  absl::StatusOr<std::vector<v1::RecordedEvent>> events = client->ReadAll(read);
  REQUIRE_FALSE(events.ok());
  CHECK(events.status().code() == absl::StatusCode::kResourceExhausted);

  v1::GetEventsRequest get;
  get.set_customer(kOrsted);
  for (int i = 0; i < 20'000; ++i) get.add_positions(1 + i % 2);
  absl::StatusOr<v1::GetEventsResponse> got = client->GetEvents(get);
  REQUIRE_FALSE(got.ok());
  INFO(got.status().ToString());
  CHECK((got.status().code() == absl::StatusCode::kInvalidArgument ||
         got.status().code() == absl::StatusCode::kResourceExhausted));

  CHECK(FeedHead(*client, kOrsted) == 2);
}

}  // namespace
}  // namespace evstore::testing
