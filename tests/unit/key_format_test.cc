#include "storage/key_format.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <vector>

using namespace evstore;

TEST_CASE("event keys sort by customer, then numerically by position") {
  std::vector<std::string> keys_in_order = {
      keys::EventKey(CustomerKey(1), FeedPosition(1)),
      keys::EventKey(CustomerKey(1), FeedPosition(255)),
      keys::EventKey(CustomerKey(1), FeedPosition(256)),
      keys::EventKey(CustomerKey(1), FeedPosition(UINT64_MAX)),
      keys::EventKey(CustomerKey(2), FeedPosition(0)),
  };
  REQUIRE(std::is_sorted(keys_in_order.begin(), keys_in_order.end()));
  REQUIRE(keys::CustomerEventsEnd(CustomerKey(1)) > keys_in_order[3]);
  REQUIRE(keys::CustomerEventsEnd(CustomerKey(1)) <= keys_in_order[4]);
}

TEST_CASE("event keys round-trip and reject wrong sizes") {
  auto parts = keys::ParseEventKey(
      keys::EventKey(CustomerKey(7), FeedPosition(123456789012)));
  REQUIRE(parts);
  REQUIRE(parts->customer == CustomerKey(7));
  REQUIRE(parts->position == FeedPosition(123456789012));
  REQUIRE_FALSE(keys::ParseEventKey("short"));
}

TEST_CASE(
    "a stream's runs sort together, by revision, apart from streams "
    "that extend its name") {
  const CustomerKey c(3);
  std::vector<std::string> keys_in_order = {
      keys::StreamRunKey(c, "contract/DS1", StreamRevision(1)),
      keys::StreamRunKey(c, "contract/DS1", StreamRevision(300)),
      keys::StreamRunKey(c, "contract/DS1", StreamRevision(UINT64_MAX)),
      keys::StreamRunKey(c, "contract/DS1/nominations", StreamRevision(1)),
  };
  REQUIRE(std::is_sorted(keys_in_order.begin(), keys_in_order.end()));
  const std::string prefix = keys::StreamRunPrefix(c, "contract/DS1");
  REQUIRE(keys_in_order[2].starts_with(prefix));
  REQUIRE_FALSE(keys_in_order[3].starts_with(prefix));
  auto revision =
      keys::ParseStreamRunKeyRevision(keys_in_order[1], prefix.size());
  REQUIRE(revision == StreamRevision(300));
}

TEST_CASE("stream run values map revisions to positions") {
  auto run = keys::ParseStreamRunValue(
      StreamRevision(10), keys::EncodeStreamRunValue(FeedPosition(100), 5));
  REQUIRE(run);
  REQUIRE(run->last_revision() == StreamRevision(14));
  REQUIRE(run->PositionOf(StreamRevision(12)) == FeedPosition(102));
  REQUIRE_FALSE(keys::ParseStreamRunValue(
      StreamRevision(1), keys::EncodeStreamRunValue(FeedPosition(1), 0)));
  REQUIRE_FALSE(keys::ParseStreamRunValue(StreamRevision(1), "bad"));
}

TEST_CASE("segment records and customer keys round-trip") {
  keys::SegmentRecord record{FeedPosition(65537), FeedPosition(70000),
                             1700000000000000, 1700000001000000, 4242};
  auto parsed = keys::ParseSegmentRecord(keys::EncodeSegmentRecord(record));
  REQUIRE(parsed);
  REQUIRE(parsed->first_position == record.first_position);
  REQUIRE(parsed->last_position == record.last_position);
  REQUIRE(parsed->min_recorded_at_micros == record.min_recorded_at_micros);
  REQUIRE(parsed->max_recorded_at_micros == record.max_recorded_at_micros);
  REQUIRE(parsed->bytes == 4242);
  REQUIRE(keys::ParseCustomerByKeyKey(keys::CustomerByKeyKey(CustomerKey(9))) ==
          CustomerKey(9));
  REQUIRE_FALSE(keys::ParseCustomerByKeyKey(keys::CustomerByNameKey("gasum")));
}

TEST_CASE("customer records round-trip and older ones have no created_at") {
  auto parsed = keys::ParseCustomerRecord(
      keys::EncodeCustomerRecord("orsted-dk", 1700000000123456));
  REQUIRE(parsed);
  REQUIRE(parsed->name == "orsted-dk");
  REQUIRE(parsed->created_at_micros == 1700000000123456);
  auto old = keys::ParseCustomerRecord("orsted-dk");
  REQUIRE(old);
  REQUIRE(old->name == "orsted-dk");
  REQUIRE_FALSE(old->created_at_micros.has_value());
  REQUIRE_FALSE(keys::ParseCustomerRecord(""));
  REQUIRE_FALSE(keys::ParseCustomerRecord(std::string("\0abcdefgh", 9)));
  REQUIRE_FALSE(keys::ParseCustomerRecord(std::string("a\0abc", 5)));
  REQUIRE_FALSE(keys::ParseCustomerRecord(std::string("a\0abcdefghi", 11)));
}
