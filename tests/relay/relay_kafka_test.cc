// The Kafka sink end to end: a real evstored, the relay's delivery loop with
// the real KafkaSink, and librdkafka's mock cluster (no broker needed) that
// also fails some produce requests. A consumer reads the topic back: every
// event arrived once, per-stream order held, the CloudEvents headers are
// right, and a large event came as a claim check that GetEvents resolves.
#include <catch2/catch.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "relay/delivery_loop.h"
#include "relay/kafka_sink.h"
#include "relay/relay_metrics.h"
#include "tests/integration/evstored_process.h"
#include "tests/integration/test_events.h"
#include "tests/relay/mock_kafka.h"
#include "tests/relay/relay_test_feed.h"

namespace evstore::testing {
namespace {

constexpr char kTopic[] = "orsted-feed";
constexpr int kPartitions = 4;
constexpr uint64_t kClaimCheckBytes = 2000;

uint64_t HeaderNumber(const TopicMessage& message, const std::string& name) {
  uint64_t value = 0;
  REQUIRE(message.headers.count(name) == 1);
  REQUIRE(absl::SimpleAtoi(message.headers.at(name), &value));
  return value;
}

TEST_CASE(
    "kafka relay publishes every event once with CloudEvents headers and "
    "stream order to the mock cluster") {
  EvstoredProcess server;
  const std::unique_ptr<client::Client> client = server.Connect();
  constexpr int kEvents = 90;
  std::vector<v1::RecordedEvent> appended;  // By position - 1.
  for (int i = 0; i < kEvents; ++i) {
    v1::AppendRequest request;
    request.set_customer(kOrsted);
    AddWrite(request, kRelayStreams[i % 3], 91, static_cast<uint64_t>(i), 1);
    if (i == 40) {  // One event above the claim-check threshold.
      request.mutable_writes(0)->mutable_events(0)->set_data(
          "{\"blob\":\"" + std::string(3 * kClaimCheckBytes, 'x') + "\"}");
    }
    REQUIRE(client->Append(request).ok());
  }
  v1::ReadRequest read;
  read.set_customer(kOrsted);
  read.set_max_count(kEvents);
  absl::StatusOr<std::vector<v1::RecordedEvent>> recorded =
      client->ReadAll(read);
  REQUIRE(recorded.ok());
  REQUIRE(recorded->size() == kEvents);

  MockKafka kafka(kTopic, kPartitions);
  // Three produce requests fail with a retriable error: the idempotent
  // producer retries them without duplicating or reordering.
  rd_kafka_mock_push_request_errors(kafka.cluster(), /*Produce=*/0, 3,
                                    RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
                                    RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
                                    RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS);
  absl::StatusOr<std::unique_ptr<relay::KafkaSink>> sink =
      relay::KafkaSink::Create(
          {.topic = kTopic,
           .source = "evstore://test/orsted-dk",
           .claim_check_bytes = kClaimCheckBytes,
           .properties = {{"bootstrap.servers", kafka.bootstraps()},
                          {"linger.ms", "5"}}});
  REQUIRE(sink.ok());
  relay::RelayMetrics metrics;
  relay::DeliveryLoop loop(
      *client,
      {.customer = kOrsted, .checkpoint = "relay:eventhub", .max_batch = 32},
      *std::move(sink), metrics.ForSink(kOrsted, "eventhub"));
  absl::Notification stop;
  absl::Status result;
  std::thread runner([&] { result = loop.Run(stop); });
  const absl::Time deadline = absl::Now() + absl::Seconds(120);
  while (loop.acknowledged_position() < kEvents && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  stop.Notify();
  runner.join();
  REQUIRE(result.ok());
  REQUIRE(loop.acknowledged_position() == kEvents);

  CHECK(CheckpointPosition(*client, "relay:eventhub") == kEvents);
  CHECK(metrics.ForSink(kOrsted, "eventhub").delivered.Value() == kEvents);

  const std::vector<TopicMessage> messages =
      ReadTopic(kafka.bootstraps(), kTopic, kPartitions, kEvents + 1,
                /*quiet_after_ms=*/3000);
  REQUIRE(messages.size() == kEvents);  // Not one more: no duplicates.
  std::map<std::string, uint64_t> last_revision;
  std::map<std::string, int> partition_of_stream;
  std::vector<int> seen(kEvents + 1, 0);
  for (const TopicMessage& message : messages) {
    const uint64_t position = HeaderNumber(message, "evstore_position");
    REQUIRE(position >= 1);
    REQUIRE(position <= kEvents);
    ++seen[position];
    const v1::RecordedEvent& event = (*recorded)[position - 1];
    CHECK(message.key == event.stream());
    CHECK(message.headers.at("ce_specversion") == "1.0");
    CHECK(message.headers.at("ce_id") == event.id());
    CHECK(message.headers.at("ce_type") == event.type());
    CHECK(message.headers.at("ce_source") == "evstore://test/orsted-dk");
    CHECK(message.headers.at("ce_subject") == event.stream());
    CHECK(message.headers.at("ce_time").size() == 27);  // ...:SS.ffffffZ
    CHECK(message.headers.at("ce_time").back() == 'Z');
    CHECK(message.headers.at("content-type") == "application/json");
    CHECK(message.headers.at("evstore_customer") == kOrsted);
    const uint64_t revision = HeaderNumber(message, "evstore_revision");
    CHECK(revision == event.revision());
    // Per stream: one partition, revisions in order.
    CHECK(revision == last_revision[message.key] + 1);
    last_revision[message.key] = revision;
    if (partition_of_stream.count(message.key) == 0) {
      partition_of_stream[message.key] = message.partition;
    }
    CHECK(partition_of_stream[message.key] == message.partition);

    if (event.data().size() > kClaimCheckBytes) {
      CHECK(message.value.empty());
      CHECK(message.headers.at("evstore_claimcheck") == "1");
      v1::GetEventsRequest get;
      get.set_customer(message.headers.at("evstore_customer"));
      get.add_ids(message.headers.at("ce_id"));
      absl::StatusOr<v1::GetEventsResponse> fetched = client->GetEvents(get);
      REQUIRE(fetched.ok());
      REQUIRE(fetched->events_size() == 1);
      CHECK(fetched->events(0).data() == event.data());
    } else {
      CHECK(message.value == event.data());
      CHECK(message.headers.count("evstore_claimcheck") == 0);
    }
  }
  for (int position = 1; position <= kEvents; ++position) {
    CHECK(seen[position] == 1);
  }
}

TEST_CASE(
    "kafka relay commits nothing while the cluster is down and delivers "
    "everything once it is back") {
  EvstoredProcess server;
  const std::unique_ptr<client::Client> client = server.Connect();
  constexpr int kEvents = 30;
  AppendInterleaved(*client, 92, kEvents);
  MockKafka kafka(kTopic, kPartitions);
  kafka.SetAllBrokers(/*up=*/false);
  absl::StatusOr<std::unique_ptr<relay::KafkaSink>> sink =
      relay::KafkaSink::Create(
          {.topic = kTopic,
           .source = "evstore://test/orsted-dk",
           .properties = {{"bootstrap.servers", kafka.bootstraps()},
                          {"message.timeout.ms", "1000"}}});
  REQUIRE(sink.ok());
  relay::RelayMetrics metrics;
  relay::DeliveryLoop loop(*client,
                           {.customer = kOrsted,
                            .checkpoint = "relay:eventhub",
                            .max_batch = 10,
                            .retry_initial_backoff = absl::Milliseconds(50),
                            .retry_max_backoff = absl::Milliseconds(500)},
                           *std::move(sink),
                           metrics.ForSink(kOrsted, "eventhub"));
  absl::Notification stop;
  absl::Status result;
  std::jthread runner([&] { result = loop.Run(stop); });

  absl::SleepFor(absl::Seconds(4));  // Several failed deliveries.
  CHECK(loop.acknowledged_position() == 0);
  v1::GetCheckpointRequest checkpoint;
  checkpoint.set_customer(kOrsted);
  checkpoint.set_name("relay:eventhub");
  CHECK(client->GetCheckpoint(checkpoint).status().code() ==
        absl::StatusCode::kNotFound);
  CHECK(metrics.ForSink(kOrsted, "eventhub").retries.Value() >= 1);
  // The head, not just the first batch: nothing is acknowledged.
  CHECK(metrics.ForSink(kOrsted, "eventhub").lag.Value() == kEvents);

  kafka.SetAllBrokers(/*up=*/true);
  const absl::Time deadline = absl::Now() + absl::Seconds(120);
  while (loop.acknowledged_position() < kEvents && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  stop.Notify();
  runner.join();
  REQUIRE(result.ok());
  CHECK(CheckpointPosition(*client, "relay:eventhub") == kEvents);
  CHECK(metrics.ForSink(kOrsted, "eventhub").lag.Value() == 0);

  std::vector<int> seen(kEvents + 1, 0);
  for (const TopicMessage& message : ReadTopic(
           kafka.bootstraps(), kTopic, kPartitions, std::size_t{10} * kEvents,
           /*quiet_after_ms=*/3000)) {
    ++seen[HeaderNumber(message, "evstore_position")];
  }
  for (int position = 1; position <= kEvents; ++position) {
    CHECK(seen[position] >= 1);  // At least once; duplicates are allowed.
  }
}

TEST_CASE(
    "kafka relay stops without waiting out message.timeout.ms while the "
    "cluster is down") {
  EvstoredProcess server;
  const std::unique_ptr<client::Client> client = server.Connect();
  constexpr int kEvents = 10;
  AppendInterleaved(*client, 93, kEvents);
  MockKafka kafka(kTopic, kPartitions);
  kafka.SetAllBrokers(/*up=*/false);
  absl::Notification stop;
  // librdkafka's default message.timeout.ms: 300 s.
  absl::StatusOr<std::unique_ptr<relay::KafkaSink>> sink =
      relay::KafkaSink::Create(
          {.topic = kTopic,
           .source = "evstore://test/orsted-dk",
           .properties = {{"bootstrap.servers", kafka.bootstraps()}}},
          &stop);
  REQUIRE(sink.ok());
  relay::RelayMetrics metrics;
  relay::DeliveryLoop loop(
      *client, {.customer = kOrsted, .checkpoint = "relay:eventhub"},
      *std::move(sink), metrics.ForSink(kOrsted, "eventhub"));
  absl::Status result;
  std::jthread runner([&] { result = loop.Run(stop); });
  absl::SleepFor(absl::Seconds(2));  // The batch waits for delivery reports.
  const absl::Time stopping = absl::Now();
  stop.Notify();
  runner.join();
  // Far below the 300 s a flush would take (the purge answers at once).
  CHECK(absl::Now() - stopping < absl::Seconds(60));
  CHECK(result.ok());
  CHECK(loop.acknowledged_position() == 0);
  v1::GetCheckpointRequest checkpoint;
  checkpoint.set_customer(kOrsted);
  checkpoint.set_name("relay:eventhub");
  CHECK(client->GetCheckpoint(checkpoint).status().code() ==
        absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace evstore::testing
