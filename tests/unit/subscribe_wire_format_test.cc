#include "server/subscribe_wire_format.h"

#include <google/protobuf/util/message_differencer.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "grpcpp/impl/codegen/proto_utils.h"

using namespace evstore;
using google::protobuf::util::MessageDifferencer;

namespace {

v1::RecordedEvent Event(uint64_t position, size_t data_bytes) {
  v1::RecordedEvent event;
  event.set_customer("customer-a");
  event.set_stream("contract/DS01/nominations");
  event.set_revision(position * 2);
  event.set_position(position);
  event.set_id("5ab5c0de-0000-4000-8000-000000000001");
  event.set_type("NominationResponseReceived");
  event.set_content_type("application/json");
  event.set_data(std::string(data_bytes, 'd'));
  (*event.mutable_metadata())["trace"] = "t-" + std::to_string(position);
  event.mutable_recorded_at()->set_seconds(1700000000);
  event.mutable_recorded_at()->set_nanos(123000);
  return event;
}

v1::SubscribeResponse Parse(const grpc::ByteBuffer& bytes) {
  grpc::ByteBuffer copy(bytes);
  v1::SubscribeResponse message;
  REQUIRE(grpc::SerializationTraits<v1::SubscribeResponse>::Deserialize(
              &copy, &message)
              .ok());
  return message;
}

std::string Bytes(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  REQUIRE(buffer.Dump(&slices).ok());
  std::string bytes;
  for (const grpc::Slice& slice : slices) {
    bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return bytes;
}

}  // namespace

TEST_CASE(
    "an encoded event batch parses as the SubscribeResponse it stands for") {
  // Sizes around the one- and two-byte length prefixes, an empty payload
  // and one whose length needs three bytes.
  const std::vector<size_t> sizes = {0,   1,     20,    127,   128,
                                     300, 16383, 16384, 200000};
  v1::SubscribeResponse expected;
  std::vector<grpc::Slice> entries;
  for (size_t i = 0; i < sizes.size(); ++i) {
    const v1::RecordedEvent event = Event(i + 1, sizes[i]);
    *expected.mutable_events()->add_events() = event;
    entries.push_back(server::EncodeEventEntry(event));
  }
  grpc::ByteBuffer batch;
  server::EncodeEventBatch(entries, &batch);

  const v1::SubscribeResponse parsed = Parse(batch);
  REQUIRE(parsed.has_events());
  REQUIRE(parsed.events().events_size() == static_cast<int>(sizes.size()));
  CHECK(MessageDifferencer::Equals(parsed, expected));
  // Byte for byte what protobuf itself writes (one metadata entry, so the
  // map order cannot differ).
  CHECK(Bytes(batch) == expected.SerializeAsString());
}

TEST_CASE("a batch of one event is the serialized single-event response") {
  const v1::RecordedEvent event = Event(7, 256);
  v1::SubscribeResponse expected;
  *expected.mutable_events()->add_events() = event;
  grpc::ByteBuffer batch;
  server::EncodeEventBatch({server::EncodeEventEntry(event)}, &batch);
  CHECK(Bytes(batch) == expected.SerializeAsString());
}

TEST_CASE("a batch references its entries instead of copying them") {
  const grpc::Slice entry = server::EncodeEventEntry(Event(1, 4096));
  grpc::ByteBuffer batch;
  server::EncodeEventBatch({entry, entry}, &batch);
  std::vector<grpc::Slice> slices;
  REQUIRE(batch.Dump(&slices).ok());
  REQUIRE(slices.size() == 3);  // The header, then the two entries.
  CHECK(slices[1].begin() == entry.begin());
  CHECK(slices[2].begin() == entry.begin());
}

TEST_CASE("control messages are encoded as serialized responses") {
  v1::SubscribeResponse caught_up;
  caught_up.mutable_caught_up()->set_position(42);
  grpc::ByteBuffer bytes;
  server::EncodeResponse(caught_up, &bytes);
  CHECK(MessageDifferencer::Equals(Parse(bytes), caught_up));

  v1::SubscribeResponse heartbeat;
  heartbeat.mutable_heartbeat()->set_position(1u << 30);
  server::EncodeResponse(heartbeat, &bytes);
  CHECK(MessageDifferencer::Equals(Parse(bytes), heartbeat));
}
