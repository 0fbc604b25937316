// Partitioned subscriptions against a real evstored: 4 partitions together
// receive every event of a mixed multi-stream feed exactly once, each
// stream's order is kept, every event is in the partition its stream hashes
// to, and each partition's caught_up and heartbeats reach the feed's head.
#include <catch2/catch.hpp>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/partition.h"
#include "tests/integration/evstored_process.h"
#include "tests/integration/test_events.h"

namespace evstore::testing {
namespace {

constexpr char kCustomer[] = "orsted-dk";
constexpr uint32_t kPartitions = 4;

v1::SubscribeRequest PartitionRequest(uint32_t index, uint32_t count) {
  v1::SubscribeRequest request;
  request.set_customer(kCustomer);
  request.mutable_partition()->set_index(index);
  request.mutable_partition()->set_count(count);
  request.set_heartbeat_interval_ms(100);
  return request;
}

// Appends `appends` random appends of 1-3 stream writes of 1-4 events over
// 24 streams; returns the head.
uint64_t AppendMixedFeed(client::Client& client, int appends, uint32_t seed,
                         uint32_t* series) {
  std::mt19937 random(seed);
  uint64_t head = 0;
  for (int a = 0; a < appends; ++a) {
    v1::AppendRequest request;
    request.set_customer(kCustomer);
    const int writes = 1 + static_cast<int>(random() % 3);
    std::vector<int> streams;
    while (static_cast<int>(streams.size()) < writes) {
      const int s = static_cast<int>(random() % 24);
      if (std::find(streams.begin(), streams.end(), s) == streams.end()) {
        streams.push_back(s);
      }
    }
    for (int s : streams) {
      AddWrite(request, "contract/" + std::to_string(s) + "/nominations",
               ++*series, 1, 1 + static_cast<int>(random() % 4));
    }
    head = MustAppend(client, request).last_position();
  }
  return head;
}

struct Received {
  // Events in delivery order.
  std::vector<v1::RecordedEvent> events;
  uint64_t caught_up = 0;
};

// Reads `subscription` until caught_up.
Received UntilCaughtUp(client::Subscription& subscription) {
  Received received;
  while (true) {
    absl::StatusOr<v1::SubscribeResponse> message =
        subscription.Next(absl::Seconds(20));
    INFO(message.status());
    REQUIRE(message.ok());
    for (const v1::RecordedEvent& event : message->events().events()) {
      received.events.push_back(event);
    }
    if (message->has_caught_up()) {
      received.caught_up = message->caught_up().position();
      return received;
    }
  }
}

// Reads `subscription` until a heartbeat at `head`, collecting events.
void UntilHeartbeatAt(client::Subscription& subscription, uint64_t head,
                      std::vector<v1::RecordedEvent>* events) {
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (absl::Now() < deadline) {
    absl::StatusOr<v1::SubscribeResponse> message =
        subscription.Next(absl::Seconds(20));
    INFO(message.status());
    REQUIRE(message.ok());
    for (const v1::RecordedEvent& event : message->events().events()) {
      events->push_back(event);
    }
    if (message->has_heartbeat() && message->heartbeat().position() == head) {
      return;
    }
  }
  FAIL("no heartbeat at the head " << head);
}

// Every event of `feed` is in exactly one partition's events, in the
// partition its stream hashes to, and each partition keeps feed order.
void CheckPartitioning(
    const std::vector<v1::RecordedEvent>& feed,
    const std::vector<std::vector<v1::RecordedEvent>>& parts) {
  std::map<uint64_t, int> seen;  // position -> times delivered
  for (uint32_t p = 0; p < parts.size(); ++p) {
    uint64_t previous = 0;
    std::map<std::string, uint64_t> revision_of;
    for (const v1::RecordedEvent& event : parts[p]) {
      INFO("partition " << p << " position " << event.position() << " stream "
                        << event.stream());
      CHECK(PartitionOf(event.stream(), kPartitions) == p);
      CHECK(event.position() > previous);
      previous = event.position();
      uint64_t& last_revision = revision_of[event.stream()];
      CHECK(event.revision() == last_revision + 1);
      last_revision = event.revision();
      ++seen[event.position()];
    }
  }
  REQUIRE(seen.size() == feed.size());
  for (const v1::RecordedEvent& event : feed) {
    INFO("position " << event.position());
    CHECK(seen[event.position()] == 1);
  }
}

TEST_CASE("four partitions together receive every event exactly once") {
  EvstoredProcess server;
  std::unique_ptr<client::Client> client = server.Connect();
  uint32_t series = 0;
  // Caught up from disk...
  const uint64_t first_head = AppendMixedFeed(*client, 60, 7, &series);

  std::vector<std::unique_ptr<client::Subscription>> subscriptions;
  std::vector<std::vector<v1::RecordedEvent>> parts(kPartitions);
  for (uint32_t p = 0; p < kPartitions; ++p) {
    subscriptions.push_back(
        client->Subscribe(PartitionRequest(p, kPartitions)));
    Received received = UntilCaughtUp(*subscriptions[p]);
    INFO("partition " << p);
    CHECK(received.caught_up == first_head);
    CHECK_FALSE(received.events.empty());
    parts[p] = std::move(received.events);
  }
  // ...and live: each partition's heartbeat reaches the new head, also
  // those that got none of the new events.
  const uint64_t second_head = AppendMixedFeed(*client, 40, 8, &series);
  for (uint32_t p = 0; p < kPartitions; ++p) {
    INFO("partition " << p);
    UntilHeartbeatAt(*subscriptions[p], second_head, &parts[p]);
  }
  const std::vector<v1::RecordedEvent> feed = ReadFeed(*client, kCustomer);
  REQUIRE(feed.size() == second_head);
  CheckPartitioning(feed, parts);

  // One stream, appended to alone: the other partitions' heartbeats still
  // reach the head.
  const std::string lone = "contract/lone/nominations";
  const uint64_t third_head =
      MustAppend(*client, SingleWrite(kCustomer, lone, ++series, 1, 3))
          .last_position();
  for (uint32_t p = 0; p < kPartitions; ++p) {
    std::vector<v1::RecordedEvent> events;
    UntilHeartbeatAt(*subscriptions[p], third_head, &events);
    INFO("partition " << p);
    CHECK(events.size() == (PartitionOf(lone, kPartitions) == p ? 3u : 0u));
  }
}

TEST_CASE("a partitioned subscription resumes from its partition checkpoint") {
  EvstoredProcess server;
  std::unique_ptr<client::Client> client = server.Connect();
  uint32_t series = 0;
  const uint64_t head = AppendMixedFeed(*client, 30, 11, &series);
  std::unique_ptr<v1::EventStoreService::Stub> stub =
      v1::EventStoreService::NewStub(client->channel());
  // Partition 2 of 4 processed up to the feed's middle.
  v1::CommitCheckpointRequest commit;
  commit.set_customer(kCustomer);
  commit.set_name("loader");
  commit.mutable_partition()->set_index(2);
  commit.mutable_partition()->set_count(kPartitions);
  commit.set_position(head / 2);
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + server.AdminToken());
  v1::CommitCheckpointResponse committed;
  grpc::Status status = stub->CommitCheckpoint(&context, commit, &committed);
  INFO(status.error_message());
  REQUIRE(status.ok());

  v1::SubscribeRequest request = PartitionRequest(2, kPartitions);
  request.set_checkpoint("loader");
  std::unique_ptr<client::Subscription> subscription =
      client->Subscribe(request);
  Received received = UntilCaughtUp(*subscription);
  CHECK(received.caught_up == head);
  std::vector<uint64_t> expected;
  for (const v1::RecordedEvent& event : ReadFeed(*client, kCustomer)) {
    if (event.position() > head / 2 &&
        PartitionOf(event.stream(), kPartitions) == 2) {
      expected.push_back(event.position());
    }
  }
  std::vector<uint64_t> positions;
  for (const v1::RecordedEvent& event : received.events) {
    positions.push_back(event.position());
  }
  REQUIRE_FALSE(expected.empty());
  CHECK(positions == expected);

  // The whole-feed checkpoint of the same name does not exist: a
  // subscription without partition starts at its default (the beginning).
  v1::SubscribeRequest whole;
  whole.set_customer(kCustomer);
  whole.set_checkpoint("loader");
  std::unique_ptr<client::Subscription> whole_feed = client->Subscribe(whole);
  Received all = UntilCaughtUp(*whole_feed);
  CHECK(all.events.size() == head);
}

TEST_CASE("a subscription partition is validated") {
  EvstoredProcess server;
  std::unique_ptr<client::Client> client = server.Connect();
  for (auto [index, count, field] :
       std::vector<std::tuple<uint32_t, uint32_t, std::string>>{
           {4, 4, "partition.index"},
           {0, 1025, "partition.count"},
           {1, 0, "partition.index"}}) {
    INFO(index << " of " << count);
    absl::StatusOr<v1::SubscribeResponse> message =
        client->Subscribe(PartitionRequest(index, count))
            ->Next(absl::Seconds(20));
    CHECK(message.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(std::string(message.status().message()),
               Catch::Matchers::Contains(field));
  }
}

}  // namespace
}  // namespace evstore::testing
