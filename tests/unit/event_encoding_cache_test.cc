#include "server/event_encoding_cache.h"

#include <google/protobuf/util/message_differencer.h>

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "grpcpp/impl/codegen/proto_utils.h"
#include "server/proto_conversion.h"
#include "server/subscribe_wire_format.h"

using namespace evstore;
using google::protobuf::util::MessageDifferencer;
using server::EventEncodingCache;

namespace {

RecordedEvent Event(uint64_t position, size_t data_bytes = 256,
                    uint8_t id_byte = 1) {
  RecordedEvent event;
  event.customer = "customer-a";
  event.stream = "contract/DS01/nominations";
  event.revision = StreamRevision(position);
  event.position = FeedPosition(position);
  EventId::Bytes id{};
  id[0] = id_byte;
  id[15] = static_cast<uint8_t>(position);
  event.id = EventId(id);
  event.type = "NominationResponseReceived";
  event.content_type = "application/json";
  event.data = std::string(data_bytes, static_cast<char>('a' + position % 26));
  event.metadata = {{"trace", "t-" + std::to_string(position)}};
  event.recorded_at_micros = 1700000000123456;
  return event;
}

// The event that `entry` encodes (parsed back through a one-event batch).
v1::RecordedEvent Decode(const grpc::Slice& entry) {
  grpc::ByteBuffer batch;
  server::EncodeEventBatch({entry}, &batch);
  v1::SubscribeResponse message;
  REQUIRE(grpc::SerializationTraits<v1::SubscribeResponse>::Deserialize(
              &batch, &message)
              .ok());
  REQUIRE(message.events().events_size() == 1);
  return message.events().events(0);
}

v1::RecordedEvent Converted(const RecordedEvent& event, bool include_data) {
  v1::RecordedEvent out;
  server::ToProto(event, include_data, &out);
  return out;
}

}  // namespace

TEST_CASE("subscribers of a feed share one encoding per live event") {
  EventEncodingCache cache(64, 1 << 20);
  const RecordedEvent event = Event(5);
  std::vector<grpc::Slice> entries;
  entries.reserve(100);
  for (int subscriber = 0; subscriber < 100; ++subscriber) {
    entries.push_back(cache.Entry(event, /*include_data=*/true));
  }
  CHECK(cache.encodings_made() == 1);
  for (const grpc::Slice& entry : entries) {
    CHECK(entry.begin() == entries.front().begin());  // The same bytes.
  }
  CHECK(MessageDifferencer::Equals(Decode(entries.front()),
                                   Converted(event, true)));
}

TEST_CASE("encodings with and without data are kept apart") {
  EventEncodingCache cache(64, 1 << 20);
  const RecordedEvent event = Event(9, 1000);
  const grpc::Slice with_data = cache.Entry(event, true);
  const grpc::Slice without_data = cache.Entry(event, false);
  CHECK(cache.encodings_made() == 2);
  CHECK(MessageDifferencer::Equals(Decode(with_data), Converted(event, true)));
  CHECK(MessageDifferencer::Equals(Decode(without_data),
                                   Converted(event, false)));
  CHECK(Decode(without_data).data().empty());
  // Both are kept.
  cache.Entry(event, true);
  cache.Entry(event, false);
  CHECK(cache.encodings_made() == 2);
}

TEST_CASE("an event is identified by its position and its id") {
  EventEncodingCache cache(64, 1 << 20);
  const RecordedEvent original = Event(3, 100, /*id_byte=*/1);
  const RecordedEvent other = Event(3, 200, /*id_byte=*/2);
  cache.Entry(original, true);
  const grpc::Slice entry = cache.Entry(other, true);
  CHECK(cache.encodings_made() == 2);
  CHECK(MessageDifferencer::Equals(Decode(entry), Converted(other, true)));
}

TEST_CASE("a newer position takes the slot and an older one is not kept") {
  EventEncodingCache cache(4, 1 << 20);  // Positions 1 and 5 share a slot.
  const RecordedEvent old_event = Event(1);
  const RecordedEvent new_event = Event(5);
  cache.Entry(old_event, true);
  cache.Entry(new_event, true);
  CHECK(cache.encodings_made() == 2);
  cache.Entry(new_event, true);  // Kept.
  CHECK(cache.encodings_made() == 2);
  // A lagging subscriber still gets the right bytes, made for it alone: the
  // newer event keeps the slot.
  const grpc::Slice lagging = cache.Entry(old_event, true);
  CHECK(
      MessageDifferencer::Equals(Decode(lagging), Converted(old_event, true)));
  CHECK(cache.encodings_made() == 3);
  cache.Entry(new_event, true);
  CHECK(cache.encodings_made() == 3);
}

TEST_CASE(
    "the cache holds at most its byte budget and still serves beyond it") {
  const size_t budget = 4096;
  EventEncodingCache cache(1024, budget);
  for (uint64_t p = 1; p <= 100; ++p) {
    const RecordedEvent event = Event(p, 1000);
    const grpc::Slice entry = cache.Entry(event, true);
    CHECK(MessageDifferencer::Equals(Decode(entry), Converted(event, true)));
    CHECK(cache.held_bytes() <= budget);
  }
  CHECK(cache.held_bytes() > 0);
}

TEST_CASE("a replaced encoding stays valid for whoever still holds it") {
  EventEncodingCache cache(1, 1 << 20);  // Every position takes the slot.
  const RecordedEvent first = Event(1, 5000);
  const grpc::Slice held = cache.Entry(first, true);
  for (uint64_t p = 2; p <= 10; ++p) cache.Entry(Event(p, 5000), true);
  CHECK(cache.held_bytes() < size_t{2} * 5100);  // Only the newest one is kept.
  CHECK(MessageDifferencer::Equals(Decode(held), Converted(first, true)));
}

TEST_CASE("concurrent subscribers get correct encodings of every event") {
  EventEncodingCache cache(128, 1 << 20);
  std::vector<RecordedEvent> events;
  for (uint64_t p = 1; p <= 300; ++p) events.push_back(Event(p, 50 + p));
  std::vector<std::vector<grpc::Slice>> got(8);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < got.size(); ++t) {
    threads.emplace_back([&, t] {
      for (const RecordedEvent& event : events) {
        got[t].push_back(cache.Entry(event, t % 2 == 0));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (size_t t = 0; t < got.size(); ++t) {
    for (size_t i = 0; i < events.size(); ++i) {
      REQUIRE(MessageDifferencer::Equals(Decode(got[t][i]),
                                         Converted(events[i], t % 2 == 0)));
    }
  }
  // Each event and variant is encoded at least once (how often more depends
  // on the interleaving: callers that miss at once both encode).
  CHECK(cache.encodings_made() >= 2 * events.size());
}

TEST_CASE("subscribers of one customer share its cache while they hold it") {
  server::EventEncodingCaches caches(64, 1 << 20);
  std::shared_ptr<EventEncodingCache> first = caches.ForCustomer("alpha");
  CHECK(caches.ForCustomer("alpha") == first);
  CHECK(caches.ForCustomer("beta") != first);
  first->Entry(Event(1), true);
  first.reset();
  // The last holder left: a new subscriber starts with a fresh cache.
  CHECK(caches.ForCustomer("alpha")->encodings_made() == 0);
}
