#include "storage/record_codec.h"

#include <catch2/catch.hpp>

using namespace evstore;

namespace {

std::string Encode(CustomerKey c, FeedPosition p, const EventId& id,
                   const EventMetadata& metadata) {
  std::string value;
  codec::EncodeEvent(
      c, p,
      codec::EventFields{StreamRevision(3), 1764200000000000, 1, 2, &id,
                         "contract/DS000068/nominations",
                         "NominationResponseReceived", "application/json",
                         &metadata, R"({"status":"16G"})"},
      &value);
  return value;
}

}  // namespace

TEST_CASE("an encoded event decodes to the same fields") {
  const EventId id = *EventId::Parse("0f8fad5b-d9cb-469f-a165-70867728950e");
  const EventMetadata metadata = {{"source", "egssport"}, {"tso", "Energinet"}};
  const std::string value =
      Encode(CustomerKey(1), FeedPosition(42), id, metadata);
  auto view = codec::DecodeEvent(CustomerKey(1), FeedPosition(42), value);
  REQUIRE(view.ok());
  REQUIRE(view->revision == StreamRevision(3));
  REQUIRE(view->recorded_at_micros == 1764200000000000);
  REQUIRE(view->index_in_append == 1);
  REQUIRE(view->append_size == 2);
  REQUIRE(view->id == id);
  REQUIRE(view->stream == "contract/DS000068/nominations");
  REQUIRE(view->type == "NominationResponseReceived");
  REQUIRE(view->content_type == "application/json");
  REQUIRE(view->data == R"({"status":"16G"})");
  REQUIRE(view->metadata.size() == 2);
  REQUIRE(view->metadata[1].first == "tso");
  REQUIRE(view->metadata[1].second == "Energinet");

  RecordedEvent without_data =
      codec::ToRecordedEvent(*view, "orsted-dk", FeedPosition(42), false);
  REQUIRE(without_data.data.empty());
  REQUIRE(without_data.customer == "orsted-dk");
  REQUIRE(without_data.position == FeedPosition(42));
}

TEST_CASE("every flipped byte of an envelope is detected as data loss") {
  const EventId id = *EventId::Parse("0f8fad5b-d9cb-469f-a165-70867728950e");
  const EventMetadata metadata = {{"k", "v"}};
  const std::string value =
      Encode(CustomerKey(1), FeedPosition(42), id, metadata);
  for (size_t i = 1; i < value.size(); ++i) {
    std::string damaged = value;
    damaged[i] = static_cast<char>(damaged[i] ^ 0x5A);
    auto view = codec::DecodeEvent(CustomerKey(1), FeedPosition(42), damaged);
    INFO("byte " << i);
    REQUIRE(view.status().code() == absl::StatusCode::kDataLoss);
  }
}

TEST_CASE("an envelope read under another key is detected") {
  const EventId id = *EventId::Parse("0f8fad5b-d9cb-469f-a165-70867728950e");
  const EventMetadata metadata;
  const std::string value =
      Encode(CustomerKey(1), FeedPosition(42), id, metadata);
  REQUIRE(codec::DecodeEvent(CustomerKey(1), FeedPosition(43), value)
              .status()
              .code() == absl::StatusCode::kDataLoss);
  REQUIRE(codec::DecodeEvent(CustomerKey(2), FeedPosition(42), value)
              .status()
              .code() == absl::StatusCode::kDataLoss);
}

TEST_CASE("truncated envelopes and unknown versions are rejected") {
  const EventId id = *EventId::Parse("0f8fad5b-d9cb-469f-a165-70867728950e");
  const EventMetadata metadata;
  std::string value = Encode(CustomerKey(1), FeedPosition(1), id, metadata);
  for (size_t len = 0; len < value.size(); ++len) {
    REQUIRE_FALSE(codec::DecodeEvent(CustomerKey(1), FeedPosition(1),
                                     value.substr(0, len))
                      .ok());
  }
  value[0] = 9;
  REQUIRE(codec::DecodeEvent(CustomerKey(1), FeedPosition(1), value)
              .status()
              .code() == absl::StatusCode::kFailedPrecondition);
}
