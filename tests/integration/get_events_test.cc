// GetEvents (the claim check) against a real evstored: lookups by id and by
// position in request order, what is missing, payload-less lookups,
// validation and customer isolation.
#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "tests/integration/evstored_process.h"
#include "tests/integration/test_events.h"

namespace evstore::testing {
namespace {

using Catch::Matchers::Contains;

// Five orsted-dk events: positions 1-3 on the nominations stream (ids
// TestUuid(1, 1..3)), 4-5 on the forecast (TestUuid(2, 1..2)).
void Seed(const client::Client& client) {
  MustAppend(client, SingleWrite(kOrsted, kNominations, 1, 1, 3));
  MustAppend(client, SingleWrite(kOrsted, kForecast, 2, 1, 2));
}

v1::GetEventsResponse MustGet(const client::Client& client,
                              const v1::GetEventsRequest& request) {
  absl::StatusOr<v1::GetEventsResponse> response = client.GetEvents(request);
  INFO("GetEvents failed: " << response.status());
  REQUIRE(response.ok());
  return *std::move(response);
}

std::vector<uint64_t> PositionsOf(const v1::GetEventsResponse& response) {
  std::vector<uint64_t> positions;
  for (const v1::RecordedEvent& e : response.events())
    positions.push_back(e.position());
  return positions;
}

std::vector<std::string> MissingIds(const v1::GetEventsResponse& response) {
  return {response.missing_ids().begin(), response.missing_ids().end()};
}

std::vector<uint64_t> MissingPositions(const v1::GetEventsResponse& response) {
  return {response.missing_positions().begin(),
          response.missing_positions().end()};
}

TEST_CASE("events are returned by id and then by position in request order") {
  EvstoredProcess server;
  auto client = server.Connect();
  Seed(*client);

  v1::GetEventsRequest request;
  request.set_customer(kOrsted);
  request.add_ids(TestUuid(2, 2));  // position 5
  request.add_ids(TestUuid(1, 1));  // position 1
  request.add_ids(TestUuid(1, 3));  // position 3
  request.add_positions(4);
  request.add_positions(2);
  const v1::GetEventsResponse response = MustGet(*client, request);
  CHECK(PositionsOf(response) == std::vector<uint64_t>{5, 1, 3, 4, 2});
  CHECK(response.missing_ids().empty());
  CHECK(response.missing_positions().empty());

  REQUIRE(response.events_size() == 5);
  const v1::RecordedEvent& forecast = response.events(0);
  CHECK(forecast.id() == TestUuid(2, 2));
  CHECK(forecast.customer() == kOrsted);
  CHECK(forecast.stream() == kForecast);
  CHECK(forecast.revision() == 2);
  CHECK(forecast.type() == kNominationResponse);
  CHECK(forecast.content_type() == "application/json");
  CHECK(forecast.data() == NominationJson(2));
  CHECK(forecast.metadata().at("correlationId") == "nomres-2");
  CHECK(response.events(4).id() == TestUuid(1, 2));
  CHECK(response.events(4).stream() == kNominations);
  CHECK(response.events(4).revision() == 2);
}

TEST_CASE("ids and positions that hold no event are reported missing") {
  EvstoredProcess server;
  auto client = server.Connect();
  Seed(*client);

  v1::GetEventsRequest request;
  request.set_customer(kOrsted);
  request.add_ids(TestUuid(9, 1));  // never recorded
  request.add_ids(TestUuid(1, 2));  // position 2
  request.add_ids(TestUuid(9, 2));  // never recorded
  request.add_positions(6);         // just past the head
  request.add_positions(0);         // positions start at 1
  request.add_positions(5);
  request.add_positions(1'000'000);
  const v1::GetEventsResponse response = MustGet(*client, request);
  CHECK(PositionsOf(response) == std::vector<uint64_t>{2, 5});
  CHECK(MissingIds(response) ==
        std::vector<std::string>{TestUuid(9, 1), TestUuid(9, 2)});
  CHECK(MissingPositions(response) == std::vector<uint64_t>{6, 0, 1'000'000});

  // Everything missing is still a successful call.
  v1::GetEventsRequest nothing;
  nothing.set_customer(kOrsted);
  nothing.add_positions(7);
  const v1::GetEventsResponse none = MustGet(*client, nothing);
  CHECK(none.events().empty());
  CHECK(MissingPositions(none) == std::vector<uint64_t>{7});
}

TEST_CASE("getting events without data omits their payloads") {
  EvstoredProcess server;
  auto client = server.Connect();
  Seed(*client);

  v1::GetEventsRequest request;
  request.set_customer(kOrsted);
  request.add_ids(TestUuid(1, 3));
  request.add_positions(4);
  request.set_include_data(false);
  v1::GetEventsResponse response = MustGet(*client, request);
  REQUIRE(response.events_size() == 2);
  for (const v1::RecordedEvent& event : response.events()) {
    CHECK(event.data().empty());
    CHECK(event.type() == kNominationResponse);
    CHECK(event.metadata().at("source") == "tso");
  }
  CHECK(response.events(0).position() == 3);
  CHECK(response.events(1).id() == TestUuid(2, 1));

  request.set_include_data(true);
  response = MustGet(*client, request);
  REQUIRE(response.events_size() == 2);
  CHECK(response.events(0).data() == NominationJson(3));
  CHECK(response.events(1).data() == NominationJson(1));
}

TEST_CASE(
    "a lookup with an invalid request is rejected with INVALID_ARGUMENT") {
  EvstoredProcess server;
  auto client = server.Connect();
  Seed(*client);

  struct Case {
    const char* name;
    v1::GetEventsRequest request;
    std::vector<std::string> message_parts;
  };
  v1::GetEventsRequest not_uuid;
  not_uuid.set_customer(kOrsted);
  not_uuid.add_ids(TestUuid(1, 1));
  not_uuid.add_ids("DS000068-2026-11-27");
  v1::GetEventsRequest nil;
  nil.set_customer(kOrsted);
  nil.add_ids("00000000-0000-0000-0000-000000000000");
  v1::GetEventsRequest empty;
  empty.set_customer(kOrsted);
  v1::GetEventsRequest bad_customer;
  bad_customer.set_customer("Gasum Oy");
  bad_customer.add_positions(1);
  v1::GetEventsRequest too_many;
  too_many.set_customer(kOrsted);
  for (uint64_t p = 1; p <= 10'001; ++p) too_many.add_positions(p);
  const std::vector<Case> cases = {
      {"id that is not a UUID",
       not_uuid,
       {"ids[1]", "\"DS000068-2026-11-27\"", "not a UUID"}},
      {"nil UUID", nil, {"ids[0]", "nil UUID"}},
      {"neither ids nor positions", empty, {"at least one id or position"}},
      {"invalid customer", bad_customer, {"customer"}},
      {"more than 10000 items", too_many, {"10001", "10000"}},
  };
  for (const Case& c : cases) {
    INFO("case: " << c.name);
    absl::StatusOr<v1::GetEventsResponse> response =
        client->GetEvents(c.request);
    INFO("status: " << response.status());
    REQUIRE_FALSE(response.ok());
    CHECK(response.status().code() == absl::StatusCode::kInvalidArgument);
    for (const std::string& part : c.message_parts) {
      CHECK_THAT(MessageOf(response.status()), Contains(part));
    }
  }
}

TEST_CASE("events of another customer are reported missing") {
  EvstoredProcess server;
  auto client = server.Connect();
  Seed(*client);
  // gasum has one event of its own, at position 1.
  MustAppend(*client, SingleWrite(kGasum, kNominations, 3, 1, 1));

  v1::GetEventsRequest request;
  request.set_customer(kGasum);
  request.add_ids(TestUuid(1, 1));  // orsted-dk's position 1
  request.add_ids(TestUuid(3, 1));  // gasum's own
  request.add_positions(1);
  request.add_positions(2);  // exists only for orsted-dk
  const v1::GetEventsResponse response = MustGet(*client, request);
  REQUIRE(response.events_size() == 2);
  for (const v1::RecordedEvent& event : response.events()) {
    CHECK(event.customer() == kGasum);
    CHECK(event.id() == TestUuid(3, 1));
    CHECK(event.position() == 1);
  }
  CHECK(MissingIds(response) == std::vector<std::string>{TestUuid(1, 1)});
  CHECK(MissingPositions(response) == std::vector<uint64_t>{2});

  // A customer without any events finds nothing at all.
  request.set_customer("ellevio");
  const v1::GetEventsResponse nobody = MustGet(*client, request);
  CHECK(nobody.events().empty());
  CHECK(MissingIds(nobody).size() == 2);
  CHECK(MissingPositions(nobody) == std::vector<uint64_t>{1, 2});
}

}  // namespace
}  // namespace evstore::testing
