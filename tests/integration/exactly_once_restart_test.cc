// Exactly-once consumption across crashes of evstored: a producer appends a
// numbered sequence with the SDK's retrying Append while the test kills
// (SIGKILL) and restarts the server repeatedly; SDK ResumingSubscriptions
// consume it. Every number must arrive exactly once and in order, and a
// consumer started from the auto-committed checkpoint after a restart must
// get exactly the remainder.

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/partition.h"
#include "client/evstore_client.h"
#include "client/resuming_subscription.h"
#include "tests/integration/evstored_process.h"
#include "tests/integration/fixed_port_server.h"
#include "tests/integration/test_events.h"

namespace evstore::testing {
namespace {

constexpr char kCustomer[] = "exactly-once";
constexpr char kCheckpoint[] = "exactly-once-loader";
constexpr int kStreams = 7;

// Clients that ride out restarts: Append and CommitCheckpoint retry for up
// to about 30 s.
std::unique_ptr<client::Client> RetryingClient(const EvstoredProcess& server) {
  client::ClientOptions options{.address = server.address(),
                                .default_deadline = absl::Seconds(10),
                                .token = server.AdminToken()};
  options.retry = client::RetryPolicy{.max_attempts = 60,
                                      .initial_backoff = absl::Milliseconds(50),
                                      .max_backoff = absl::Milliseconds(500)};
  options.max_reconnect_backoff = absl::Milliseconds(500);
  absl::StatusOr<std::unique_ptr<client::Client>> client =
      client::Client::Connect(options);
  REQUIRE(client.ok());
  return *std::move(client);
}

v1::AppendRequest NumberedAppend(int n) {
  v1::AppendRequest request;
  request.set_customer(kCustomer);
  v1::StreamWrite* write = request.add_writes();
  write->set_stream(absl::StrCat("orders/", n % kStreams));
  v1::ProposedEvent* event = write->add_events();
  event->set_id(TestUuid(0xe0, static_cast<uint64_t>(n)));
  event->set_type("NumberedOrder");
  event->set_data(absl::StrCat("{\"n\":", n, "}"));
  return request;
}

// The application sequence number in an event's data ({"n":N}); -1 if none.
int SequenceNumber(const v1::RecordedEvent& event) {
  absl::string_view data = event.data();
  int n = -1;
  if (!absl::ConsumePrefix(&data, "{\"n\":") ||
      !absl::ConsumeSuffix(&data, "}") || !absl::SimpleAtoi(data, &n)) {
    return -1;
  }
  return n;
}

// Appends 0 .. count-1, one append each, in order: an append that failed is
// retried with the same ids (the client's retry policy, then again here)
// before the next number is appended.
class Producer {
 public:
  Producer(const client::Client& client, int count)
      : client_(client), count_(count), thread_([this] { Run(); }) {}
  ~Producer() { Join(); }

  int produced() const { return produced_; }
  bool done() const { return done_; }
  void Join() {
    if (thread_.joinable()) thread_.join();
  }
  std::vector<std::string> errors() {
    absl::MutexLock lock(&mu_);
    return errors_;
  }
  int duplicates() const { return duplicates_; }

 private:
  void Run() {
    for (int n = 0; n < count_; ++n) {
      const v1::AppendRequest request = NumberedAppend(n);
      const absl::Time give_up = absl::Now() + absl::Seconds(120);
      while (true) {
        absl::StatusOr<v1::AppendResponse> appended = client_.Append(request);
        if (appended.ok()) {
          if (appended->duplicate()) ++duplicates_;
          break;
        }
        if (!client::IsTransientFailure(appended.status()) ||
            absl::Now() > give_up) {
          absl::MutexLock lock(&mu_);
          errors_.push_back(
              absl::StrCat("append ", n, ": ", appended.status().ToString()));
          done_ = true;
          return;
        }
      }
      produced_ = n + 1;
    }
    done_ = true;
  }

  const client::Client& client_;
  const int count_;
  std::atomic<int> produced_{0};
  std::atomic<int> duplicates_{0};
  std::atomic<bool> done_{false};
  absl::Mutex mu_;
  std::vector<std::string> errors_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

// Consumes with a ResumingSubscription until `stop_after` events arrived
// (then Close(), committing) or Stop() is called.
class Consumer {
 public:
  Consumer(const client::Client& client,
           const client::ResumingSubscriptionOptions& options,
           size_t stop_after)
      : subscription_(client.SubscribeResuming(options)),
        stop_after_(stop_after),
        thread_([this] { Run(); }) {}
  ~Consumer() {
    stop_ = true;
    Join();
  }

  void Join() {
    if (thread_.joinable()) thread_.join();
  }
  void Stop() { stop_ = true; }
  size_t received_count() {
    absl::MutexLock lock(&mu_);
    return numbers_.size();
  }
  std::vector<int> numbers() {
    absl::MutexLock lock(&mu_);
    return numbers_;
  }
  std::vector<std::string> streams() {
    absl::MutexLock lock(&mu_);
    return streams_;
  }
  absl::Status end_status() {
    absl::MutexLock lock(&mu_);
    return end_status_;
  }
  const client::ResumingSubscription& subscription() const {
    return *subscription_;
  }

 private:
  void Run() {
    while (!stop_) {
      absl::StatusOr<client::SubscriptionItem> item =
          subscription_->Next(absl::Milliseconds(200));
      if (!item.ok()) {
        if (absl::IsDeadlineExceeded(item.status())) continue;
        absl::MutexLock lock(&mu_);
        end_status_ = item.status();
        return;
      }
      if (item->kind != client::SubscriptionItem::Kind::kEvent) continue;
      absl::MutexLock lock(&mu_);
      numbers_.push_back(SequenceNumber(item->event));
      streams_.push_back(item->event.stream());
      if (numbers_.size() >= stop_after_) break;
    }
    const absl::Status closed = subscription_->Close();
    absl::MutexLock lock(&mu_);
    if (end_status_.ok()) end_status_ = closed;
  }

  std::unique_ptr<client::ResumingSubscription> subscription_;
  const size_t stop_after_;
  std::atomic<bool> stop_{false};
  absl::Mutex mu_;
  std::vector<int> numbers_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> streams_ ABSL_GUARDED_BY(mu_);
  absl::Status end_status_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

client::ResumingSubscriptionOptions ConsumerOptions() {
  client::ResumingSubscriptionOptions options;
  options.customer = kCustomer;
  options.heartbeat_interval_ms = 200;
  options.reconnect_max_backoff = absl::Milliseconds(500);
  return options;
}

client::ResumingSubscriptionOptions CheckpointConsumerOptions(
    std::optional<v1::Partition> partition = std::nullopt) {
  client::ResumingSubscriptionOptions options = ConsumerOptions();
  options.checkpoint = kCheckpoint;
  options.start = client::SubscriptionStart::FromCheckpoint();
  options.partition = std::move(partition);
  options.auto_commit = {
      .enabled = true, .every_events = 50, .every = absl::Milliseconds(200)};
  return options;
}

// Kills and restarts `server` `kills` times, spread over the producer's run.
void KillRepeatedly(EvstoredProcess& server, const Producer& producer,
                    int total, int kills) {
  for (int k = 1; k <= kills; ++k) {
    const int at = total * k / (kills + 1);
    while (producer.produced() < at && !producer.done()) {
      absl::SleepFor(absl::Milliseconds(5));
    }
    if (producer.done()) return;
    server.Kill();
    absl::SleepFor(absl::Milliseconds(300));  // Clients see it down.
    server.Start();
  }
}

// Every number from `from` to `to` - 1 once, in this order.
std::vector<int> Sequence(int from, int to) {
  std::vector<int> numbers;
  for (int n = from; n < to; ++n) numbers.push_back(n);
  return numbers;
}

bool ReceivedAll(Consumer& consumer, size_t count, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (consumer.received_count() < count && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  return consumer.received_count() >= count;
}

TEST_CASE(
    "resuming subscription receives every number exactly once and in order "
    "while evstored is killed and restarted five times") {
  constexpr int kTotal = 3000;
  EvstoredProcess server(FixedPortServer());
  const std::unique_ptr<client::Client> producer_client =
      RetryingClient(server);
  const std::unique_ptr<client::Client> consumer_client =
      RetryingClient(server);

  Consumer consumer(*consumer_client, ConsumerOptions(), kTotal);
  Producer producer(*producer_client, kTotal);
  KillRepeatedly(server, producer, kTotal, 5);
  producer.Join();
  CHECK(producer.errors().empty());
  for (const std::string& error : producer.errors()) UNSCOPED_INFO(error);
  REQUIRE(producer.produced() == kTotal);

  REQUIRE(ReceivedAll(consumer, kTotal, absl::Seconds(60)));
  consumer.Join();
  INFO("consumer ended with " << consumer.end_status().ToString());
  CHECK(consumer.end_status().ok());
  CHECK(consumer.numbers() == Sequence(0, kTotal));
  CHECK(consumer.subscription().reconnects() >= 5);
  UNSCOPED_INFO(
      "retried appends answered as duplicates: " << producer.duplicates());
}

TEST_CASE(
    "auto-committed checkpoint hands exactly the remainder to a second "
    "consumer after restarts") {
  constexpr int kTotal = 3000;
  constexpr size_t kFirstPart = 1700;
  EvstoredProcess server(FixedPortServer());
  const std::unique_ptr<client::Client> producer_client =
      RetryingClient(server);
  const std::unique_ptr<client::Client> consumer_client =
      RetryingClient(server);

  std::vector<int> first_numbers;
  {
    Consumer first(*consumer_client, CheckpointConsumerOptions(), kFirstPart);
    Producer producer(*producer_client, kTotal);
    KillRepeatedly(server, producer, kTotal, 5);
    producer.Join();
    CHECK(producer.errors().empty());
    for (const std::string& error : producer.errors()) UNSCOPED_INFO(error);
    REQUIRE(producer.produced() == kTotal);
    REQUIRE(ReceivedAll(first, kFirstPart, absl::Seconds(60)));
    first.Join();
    INFO("first consumer ended with " << first.end_status().ToString());
    REQUIRE(first.end_status().ok());
    first_numbers = first.numbers();
    CHECK(first_numbers == Sequence(0, kFirstPart));
    // Close() committed the last event it handed out.
    CHECK(first.subscription().committed_position() ==
          first.subscription().delivered_position());
  }

  server.Kill();
  server.Start();
  v1::GetCheckpointRequest get;
  get.set_customer(kCustomer);
  get.set_name(kCheckpoint);
  absl::StatusOr<v1::GetCheckpointResponse> stored =
      consumer_client->GetCheckpoint(get);
  REQUIRE(stored.ok());
  CHECK(stored->checkpoint().position() == kFirstPart);  // One per append.

  Consumer second(*consumer_client, CheckpointConsumerOptions(),
                  kTotal - kFirstPart + 1);  // One more than should come.
  REQUIRE(ReceivedAll(second, kTotal - kFirstPart, absl::Seconds(60)));
  absl::SleepFor(absl::Seconds(1));  // Anything extra would arrive now.
  second.Stop();
  CHECK(second.numbers() == Sequence(kFirstPart, kTotal));
}

TEST_CASE(
    "three partitioned resuming subscriptions together receive every number "
    "exactly once with per-stream order across restarts") {
  constexpr int kTotal = 1500;
  constexpr uint32_t kPartitions = 3;
  EvstoredProcess server(FixedPortServer());
  const std::unique_ptr<client::Client> producer_client =
      RetryingClient(server);
  const std::unique_ptr<client::Client> consumer_client =
      RetryingClient(server);

  std::vector<std::unique_ptr<Consumer>> consumers;
  for (uint32_t i = 0; i < kPartitions; ++i) {
    v1::Partition partition;
    partition.set_index(i);
    partition.set_count(kPartitions);
    consumers.push_back(std::make_unique<Consumer>(
        *consumer_client, CheckpointConsumerOptions(partition), kTotal));
  }
  Producer producer(*producer_client, kTotal);
  KillRepeatedly(server, producer, kTotal, 3);
  producer.Join();
  CHECK(producer.errors().empty());
  REQUIRE(producer.produced() == kTotal);

  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  auto total_received = [&consumers] {
    size_t total = 0;
    for (auto& consumer : consumers) total += consumer->received_count();
    return total;
  };
  while (total_received() < kTotal && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  absl::SleepFor(absl::Milliseconds(500));  // Anything extra would arrive.
  for (auto& consumer : consumers) consumer->Stop();

  std::vector<int> seen(kTotal, 0);
  for (uint32_t i = 0; i < kPartitions; ++i) {
    const std::vector<int> numbers = consumers[i]->numbers();
    const std::vector<std::string> streams = consumers[i]->streams();
    // Exactly the events whose stream routes here (base/partition.h).
    size_t expected = 0;
    for (int n = 0; n < kTotal; ++n) {
      if (PartitionOf(absl::StrCat("orders/", n % kStreams), kPartitions) ==
          i) {
        ++expected;
      }
    }
    CHECK(numbers.size() == expected);
    // Per-stream order: numbers of one stream arrive ascending.
    std::vector<int> last_of_stream(kStreams, -1);
    for (size_t k = 0; k < numbers.size(); ++k) {
      REQUIRE(numbers[k] >= 0);
      REQUIRE(numbers[k] < kTotal);
      ++seen[numbers[k]];
      const int stream = numbers[k] % kStreams;
      CHECK(streams[k] == absl::StrCat("orders/", stream));
      CHECK(PartitionOf(streams[k], kPartitions) == i);
      CHECK(numbers[k] > last_of_stream[stream]);
      last_of_stream[stream] = numbers[k];
    }
  }
  int missing = 0;
  int repeated = 0;
  for (int count : seen) {
    if (count == 0) ++missing;
    if (count > 1) ++repeated;
  }
  CHECK(missing == 0);
  CHECK(repeated == 0);
}

}  // namespace
}  // namespace evstore::testing
