// Realistic test data for the integration tests (customers, contract streams,
// NominationResponse payloads) and small helpers to build requests and read
// back what the server recorded.
#ifndef EVSTORE_TESTS_INTEGRATION_TEST_EVENTS_H_
#define EVSTORE_TESTS_INTEGRATION_TEST_EVENTS_H_

#include <catch2/catch.hpp>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "client/evstore_client.h"
#include "evstore/v1/evstore.pb.h"

namespace evstore::testing {

inline constexpr char kOrsted[] = "orsted-dk";
inline constexpr char kGasum[] = "gasum";
inline constexpr char kNominations[] = "contract/DS000068/nominations";
inline constexpr char kForecast[] = "contract/DS000068/forecast";
inline constexpr char kOtherNominations[] = "contract/DS000112/nominations";
inline constexpr char kNominationResponse[] = "NominationResponseReceived";
inline constexpr char kForecastImported[] = "ForecastImported";

// A canonical lowercase UUID that is unique for (`series`, `n`). Tests give
// each group of events its own series so that ids never collide by accident.
inline std::string TestUuid(uint32_t series, uint64_t n) {
  char text[40];
  std::snprintf(text, sizeof text, "%08x-0000-4000-8000-%012" PRIx64, series,
                static_cast<uint64_t>(n & 0xffffffffffffULL));
  return text;
}

// A NOMRES confirmation for one gas day of contract DS000068 with a few
// hourly quantities; `n` varies the day and the values.
inline std::string NominationJson(uint64_t n, const char* status = "16G") {
  const int day = static_cast<int>(n % 28) + 1;
  char text[512];
  std::snprintf(
      text, sizeof text,
      R"({"contract":"DS000068","grid":"Energinet","location":"21Y---A001A003-5",)"
      R"("gasDay":"2026-11-%02d","unit":"kWh","status":"%s","seq":%)" PRIu64
      R"(,"hourly":[{"utc":"2026-11-%02dT05:00:00Z","value":%)" PRIu64
      R"(},{"utc":"2026-11-%02dT06:00:00Z","value":%)" PRIu64 "}]}",
      day, status, n, day, 125000 + n, day, 118000 + n);
  return text;
}

inline v1::ProposedEvent Nomination(std::string id, uint64_t n,
                                    const char* type = kNominationResponse) {
  v1::ProposedEvent event;
  event.set_id(std::move(id));
  event.set_type(type);
  event.set_data(NominationJson(n));
  (*event.mutable_metadata())["source"] = "tso";
  (*event.mutable_metadata())["correlationId"] = "nomres-" + std::to_string(n);
  return event;
}

// Adds a stream write with `count` nominations whose ids are
// TestUuid(series, first_n), TestUuid(series, first_n + 1), ...
inline v1::StreamWrite* AddWrite(v1::AppendRequest& request,
                                 const std::string& stream, uint32_t series,
                                 uint64_t first_n, int count) {
  v1::StreamWrite* write = request.add_writes();
  write->set_stream(stream);
  for (int i = 0; i < count; ++i) {
    *write->add_events() =
        Nomination(TestUuid(series, first_n + i), first_n + i);
  }
  return write;
}

inline v1::AppendRequest SingleWrite(const std::string& customer,
                                     const std::string& stream, uint32_t series,
                                     uint64_t first_n, int count) {
  v1::AppendRequest request;
  request.set_customer(customer);
  AddWrite(request, stream, series, first_n, count);
  return request;
}

// All ids of an append request, in request order.
inline std::vector<std::string> IdsOf(const v1::AppendRequest& request) {
  std::vector<std::string> ids;
  for (const v1::StreamWrite& write : request.writes()) {
    for (const v1::ProposedEvent& event : write.events()) {
      ids.push_back(event.id());
    }
  }
  return ids;
}

// Appends and requires success.
inline v1::AppendResponse MustAppend(const client::Client& client,
                                     const v1::AppendRequest& request) {
  absl::StatusOr<v1::AppendResponse> response = client.Append(request);
  INFO("append failed: " << response.status());
  REQUIRE(response.ok());
  return *std::move(response);
}

inline std::vector<v1::RecordedEvent> MustReadAll(
    const client::Client& client, const v1::ReadRequest& request) {
  absl::StatusOr<std::vector<v1::RecordedEvent>> events =
      client.ReadAll(request);
  INFO("read failed: " << events.status());
  REQUIRE(events.ok());
  return *std::move(events);
}

// The whole feed of `customer`, forwards (at most 1,000,000 events).
inline std::vector<v1::RecordedEvent> ReadFeed(const client::Client& client,
                                               const std::string& customer) {
  v1::ReadRequest request;
  request.set_customer(customer);
  request.set_max_count(1'000'000);
  return MustReadAll(client, request);
}

// The whole stream, forwards.
inline std::vector<v1::RecordedEvent> ReadStream(const client::Client& client,
                                                 const std::string& customer,
                                                 const std::string& stream) {
  v1::ReadRequest request;
  request.set_customer(customer);
  request.set_stream(stream);
  request.set_max_count(1'000'000);
  return MustReadAll(client, request);
}

// The position of the last event of the feed (0 when it is empty).
inline uint64_t FeedHead(const client::Client& client,
                         const std::string& customer) {
  v1::ReadRequest request;
  request.set_customer(customer);
  request.set_direction(v1::READ_DIRECTION_BACKWARDS);
  request.set_max_count(1);
  std::vector<v1::RecordedEvent> events = MustReadAll(client, request);
  return events.empty() ? 0 : events.front().position();
}

inline std::vector<uint64_t> PositionsOf(
    const std::vector<v1::RecordedEvent>& events) {
  std::vector<uint64_t> positions;
  for (const v1::RecordedEvent& event : events) {
    positions.push_back(event.position());
  }
  return positions;
}

inline std::vector<std::string> IdsOf(
    const std::vector<v1::RecordedEvent>& events) {
  std::vector<std::string> ids;
  for (const v1::RecordedEvent& event : events) ids.push_back(event.id());
  return ids;
}

// 1, 2, ..., n (or first, first+1, ... when given).
inline std::vector<uint64_t> Sequence(uint64_t first, uint64_t last) {
  std::vector<uint64_t> values;
  for (uint64_t v = first; v <= last; ++v) values.push_back(v);
  return values;
}

inline std::string MessageOf(const absl::Status& status) {
  return std::string(status.message());
}

}  // namespace evstore::testing

#endif  // EVSTORE_TESTS_INTEGRATION_TEST_EVENTS_H_
