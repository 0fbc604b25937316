// The webhook sink end to end: a real evstored, the relay's delivery loop
// with the real WebhookSink, and a local HTTP receiver that fails and delays
// requests. Every event arrives, signatures verify, per-stream order holds,
// the checkpoint reaches the head, and an event the receiver keeps refusing
// is dead-lettered.
#include <curl/curl.h>
#include <simdjson.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <cstdint>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "base/mutex.h"
#include "relay/delivery_loop.h"
#include "relay/relay_metrics.h"
#include "relay/webhook_signature.h"
#include "relay/webhook_sink.h"
#include "tests/integration/access_support.h"
#include "tests/integration/evstored_process.h"
#include "tests/integration/run_process.h"
#include "tests/integration/test_events.h"
#include "tests/relay/relay_process.h"
#include "tests/relay/relay_test_feed.h"
#include "tests/relay/webhook_receiver.h"

namespace evstore::testing {
namespace {

constexpr char kSecret[] = "whsec-test-0123456789";
// What the receiver saw of one delivered CloudEvent.
struct Delivered {
  std::string id;
  std::string subject;
  uint64_t revision = 0;
  uint64_t position = 0;
};

Delivered ParseBody(const std::string& body) {
  simdjson::dom::parser parser;
  simdjson::dom::element root = parser.parse(body);
  Delivered out;
  out.id = std::string(std::string_view(root["id"]));
  out.subject = std::string(std::string_view(root["subject"]));
  REQUIRE(absl::SimpleAtoi(
      std::string(std::string_view(root["evstorerevision"])), &out.revision));
  REQUIRE(absl::SimpleAtoi(
      std::string(std::string_view(root["evstoreposition"])), &out.position));
  REQUIRE(std::string_view(root["specversion"]) == "1.0");
  REQUIRE(std::string_view(root["source"]) == "evstore://orsted-dk");
  REQUIRE(root["data"]["contract"].is_string());  // JSON data is embedded.
  return out;
}

// Runs a delivery loop into `receiver` until it acknowledged `head`.
class WebhookRelay {
 public:
  WebhookRelay(const client::Client& client, const WebhookReceiver& receiver,
               const std::string& dead_letter_file, int max_attempts,
               int max_concurrent_requests = 8,
               absl::Duration initial_backoff = absl::Milliseconds(5))
      : metrics_() {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    auto sink = relay::WebhookSink::Create(
        {.sink_name = "erp-hook",
         .url = receiver.url(),
         .secret = kSecret,
         .max_attempts = max_attempts,
         .initial_backoff = initial_backoff,
         .max_backoff = 4 * initial_backoff,
         .timeout = absl::Seconds(5),
         .max_concurrent_requests = max_concurrent_requests,
         .dead_letter_file = dead_letter_file},
        &stop_);
    REQUIRE(sink.ok());
    loop_ = std::make_unique<relay::DeliveryLoop>(
        client,
        relay::DeliveryLoopOptions{.customer = kOrsted,
                                   .checkpoint = "relay:erp-hook",
                                   .max_batch = 16},
        *std::move(sink), metrics_.ForSink(kOrsted, "erp-hook"));
    thread_ = std::thread([this] { result_ = loop_->Run(stop_); });
  }
  ~WebhookRelay() {
    if (thread_.joinable()) Stop().IgnoreError();  // The test failed already.
  }

  bool WaitForAcknowledged(uint64_t position) const {
    const absl::Time deadline = absl::Now() + absl::Seconds(120);
    while (loop_->acknowledged_position() < position) {
      if (absl::Now() > deadline) return false;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return true;
  }

  absl::Status Stop() {
    stop_.Notify();
    thread_.join();
    return result_;
  }

  relay::RelayMetrics& metrics() { return metrics_; }

 private:
  relay::RelayMetrics metrics_;
  absl::Notification stop_;
  std::unique_ptr<relay::DeliveryLoop> loop_;
  std::thread thread_;
  absl::Status result_;
};

TEST_CASE(
    "webhook relay delivers every event signed and in stream order despite "
    "failures and delays") {
  EvstoredProcess server;
  const std::unique_ptr<client::Client> client = server.Connect();
  constexpr int kEvents = 60;
  const std::vector<std::string> ids = AppendInterleaved(*client, 81, kEvents);

  // Every 4th request fails with 503, every 7th is answered after 200 ms.
  std::atomic<int> requests_so_far{0};
  WebhookReceiver receiver([&](const ReceivedRequest&) {
    const int request_number = ++requests_so_far;
    if (request_number % 4 == 0) return ReceiverReply{.status = 503};
    if (request_number % 7 == 0) {
      return ReceiverReply{.status = 200, .delay = absl::Milliseconds(200)};
    }
    return ReceiverReply{.status = 200};
  });
  const std::string dead_letters = TempPath("relay_webhook_test.dlq");
  WebhookRelay relay(*client, receiver, dead_letters, /*max_attempts=*/5);
  REQUIRE(relay.WaitForAcknowledged(kEvents));
  REQUIRE(relay.Stop().ok());

  const std::vector<ReceivedRequest> requests = receiver.requests();
  std::set<std::string> confirmed;
  std::map<std::string, uint64_t> last_revision;  // Of each stream.
  int failed = 0;
  for (const ReceivedRequest& request : requests) {
    CHECK(request.method == "POST");
    CHECK(request.headers.at("content-type") == "application/cloudevents+json");
    CHECK(SignatureVerifies(request, kSecret));
    const Delivered event = ParseBody(request.body);
    // The next event of a stream waits for the previous one: a stream's
    // revisions never go back, and a retry repeats the same revision.
    CHECK(event.revision >= last_revision[event.subject]);
    if (request.status != 200) {
      ++failed;
      continue;
    }
    // Only a confirmed event moves its stream on.
    CHECK(event.revision == last_revision[event.subject] + 1);
    last_revision[event.subject] = event.revision;
    CHECK(event.id == ids[event.position - 1]);
    confirmed.insert(event.id);
  }
  CHECK(failed > 0);
  CHECK(confirmed.size() == kEvents);
  CHECK(CheckpointPosition(*client, "relay:erp-hook") == kEvents);
  CHECK(!std::ifstream(dead_letters).good());  // Nothing was dead-lettered.
  CHECK(relay.metrics().ForSink(kOrsted, "erp-hook").delivered.Value() ==
        kEvents);
  CHECK(relay.metrics().ForSink(kOrsted, "erp-hook").retries.Value() == failed);
}

TEST_CASE(
    "webhook sink delivers other streams while one stream's event waits in "
    "backoff") {
  EvstoredProcess server;
  const std::unique_ptr<client::Client> client = server.Connect();
  constexpr int kEvents = 15;  // 5 events of each stream, interleaved.
  const std::vector<std::string> ids = AppendInterleaved(*client, 83, kEvents);
  v1::ReadRequest read;
  read.set_customer(kOrsted);
  read.set_max_count(kEvents);
  absl::StatusOr<std::vector<v1::RecordedEvent>> events = client->ReadAll(read);
  REQUIRE(events.ok());
  REQUIRE(events->size() == kEvents);
  const std::string& stuck = ids[0];  // Position 1, kRelayStreams[0].

  // The first event is refused 4 times (about 50+100+200+200 ms of backoff)
  // before it is confirmed.
  std::atomic<int> refusals{0};
  WebhookReceiver receiver([&](const ReceivedRequest& request) {
    if (request.body.find(stuck) != std::string::npos && ++refusals <= 4) {
      return ReceiverReply{.status = 503};
    }
    return ReceiverReply{.status = 200};
  });
  const std::string dead_letters = TempPath("relay_webhook_parallel_test.dlq");
  curl_global_init(CURL_GLOBAL_DEFAULT);
  absl::StatusOr<std::unique_ptr<relay::WebhookSink>> sink =
      relay::WebhookSink::Create({.sink_name = "erp-hook",
                                  .url = receiver.url(),
                                  .secret = kSecret,
                                  .max_attempts = 10,
                                  .initial_backoff = absl::Milliseconds(50),
                                  .max_backoff = absl::Milliseconds(200),
                                  .timeout = absl::Seconds(5),
                                  .max_concurrent_requests = 4,
                                  .dead_letter_file = dead_letters},
                                 nullptr);
  REQUIRE(sink.ok());
  relay::DeliveryReport report;
  REQUIRE((*sink)->Deliver(*events, report).ok());
  CHECK(report.delivered == kEvents);
  CHECK(report.retries == 4);
  CHECK(report.dead_lettered == 0);
  CHECK(report.settled_prefix == kEvents);

  // Every event of the other streams was confirmed before the stuck event,
  // each stream in order.
  std::map<std::string, uint64_t> last_revision;
  int confirmed_before_stuck = 0;
  bool stuck_confirmed = false;
  for (const ReceivedRequest& request : receiver.requests()) {
    CHECK(SignatureVerifies(request, kSecret));
    const Delivered event = ParseBody(request.body);
    if (request.status != 200) {
      CHECK(event.id == stuck);
      continue;
    }
    CHECK(event.revision == last_revision[event.subject] + 1);
    last_revision[event.subject] = event.revision;
    if (event.id == stuck) {
      stuck_confirmed = true;
    } else if (!stuck_confirmed) {
      CHECK(event.subject != kRelayStreams[0]);  // Waits for the stuck event.
      ++confirmed_before_stuck;
    }
  }
  CHECK(stuck_confirmed);
  CHECK(refusals == 5);
  CHECK(confirmed_before_stuck == 10);
  CHECK(last_revision.size() == 3);
  for (const auto& [stream, revision] : last_revision) CHECK(revision == 5);
  CHECK(!std::ifstream(dead_letters).good());
}

TEST_CASE(
    "webhook sink sends different streams concurrently and never two events "
    "of one stream at once") {
  EvstoredProcess server;
  const std::unique_ptr<client::Client> client = server.Connect();
  constexpr int kEvents = 12;
  AppendInterleaved(*client, 84, kEvents);
  v1::ReadRequest read;
  read.set_customer(kOrsted);
  read.set_max_count(kEvents);
  absl::StatusOr<std::vector<v1::RecordedEvent>> events = client->ReadAll(read);
  REQUIRE(events.ok());

  // Each request is held 100 ms inside the receiver while it counts how
  // many requests (in all, and per stream) are open at once.
  Mutex mu;
  std::map<std::string, int> open_per_stream;
  int open = 0;
  int most_open = 0;
  int most_open_one_stream = 0;
  WebhookReceiver receiver([&](const ReceivedRequest& request) {
    // No Catch2 assertions here: this is the receiver's thread.
    simdjson::dom::parser parser;
    std::string_view subject_view;
    if (parser.parse(request.body)["subject"].get(subject_view) !=
        simdjson::SUCCESS) {
      return ReceiverReply{.status = 400};
    }
    const std::string subject(subject_view);
    {
      MutexLock lock(&mu);
      most_open = std::max(most_open, ++open);
      most_open_one_stream =
          std::max(most_open_one_stream, ++open_per_stream[subject]);
    }
    absl::SleepFor(absl::Milliseconds(100));
    MutexLock lock(&mu);
    --open;
    --open_per_stream[subject];
    return ReceiverReply{.status = 200};
  });
  curl_global_init(CURL_GLOBAL_DEFAULT);
  absl::StatusOr<std::unique_ptr<relay::WebhookSink>> sink =
      relay::WebhookSink::Create(
          {.sink_name = "erp-hook",
           .url = receiver.url(),
           .secret = kSecret,
           .max_concurrent_requests = 8,
           .dead_letter_file = "/nonexistent/never-written.dlq"},
          nullptr);
  REQUIRE(sink.ok());
  relay::DeliveryReport report;
  REQUIRE((*sink)->Deliver(*events, report).ok());
  CHECK(report.delivered == kEvents);
  MutexLock lock(&mu);
  CHECK(most_open_one_stream == 1);
  CHECK(most_open > 1);  // 3 streams: up to 3 at once.
  CHECK(most_open <= 3);
}

TEST_CASE(
    "relay loop with a token of another customer stops with "
    "PERMISSION_DENIED and reports it") {
  EvstoredProcess server;
  const std::unique_ptr<client::Client> admin = server.Connect();
  AppendInterleaved(*admin, 85, 3);
  AdminCalls calls(server);
  calls.CreateCustomer("other-customer");
  const AdminCalls::Token other =
      calls.CreateToken(v1::ROLE_CONSUMER, {"other-customer"});
  absl::StatusOr<std::unique_ptr<client::Client>> client =
      client::Client::Connect(
          {.address = server.address(), .token = other.secret});
  REQUIRE(client.ok());

  WebhookReceiver receiver(
      [](const ReceivedRequest&) { return ReceiverReply{.status = 200}; });
  curl_global_init(CURL_GLOBAL_DEFAULT);
  absl::Notification stop;
  absl::StatusOr<std::unique_ptr<relay::WebhookSink>> sink =
      relay::WebhookSink::Create(
          {.sink_name = "erp-hook",
           .url = receiver.url(),
           .secret = kSecret,
           .dead_letter_file = "/nonexistent/never-written.dlq"},
          &stop);
  REQUIRE(sink.ok());
  relay::RelayMetrics metrics;
  relay::DeliveryLoop loop(
      **client, {.customer = kOrsted, .checkpoint = "relay:erp-hook"},
      *std::move(sink), metrics.ForSink(kOrsted, "erp-hook"));
  const absl::Status result = loop.Run(stop);  // Returns by itself.
  CHECK(result.code() == absl::StatusCode::kPermissionDenied);
  CHECK(metrics.ForSink(kOrsted, "erp-hook").running.Value() == 0);
  CHECK(receiver.requests().empty());
}

TEST_CASE("webhook relay dead-letters an event the receiver keeps refusing") {
  EvstoredProcess server;
  const std::unique_ptr<client::Client> client = server.Connect();
  constexpr int kEvents = 12;
  const std::vector<std::string> ids = AppendInterleaved(*client, 82, kEvents);
  const std::string& poisoned = ids[4];  // Position 5.

  WebhookReceiver receiver([&](const ReceivedRequest& request) {
    return ReceiverReply{
        .status = request.body.find(poisoned) != std::string::npos ? 500 : 200};
  });
  const std::string dead_letters = TempPath("relay_webhook_dlq_test");
  std::remove(dead_letters.c_str());
  WebhookRelay relay(*client, receiver, dead_letters, /*max_attempts=*/3);
  REQUIRE(relay.WaitForAcknowledged(kEvents));
  REQUIRE(relay.Stop().ok());

  int attempts_on_poisoned = 0;
  std::set<std::string> confirmed;
  for (const ReceivedRequest& request : receiver.requests()) {
    const Delivered event = ParseBody(request.body);
    if (event.id == poisoned) ++attempts_on_poisoned;
    if (request.status == 200) confirmed.insert(event.id);
  }
  CHECK(attempts_on_poisoned == 3);
  CHECK(confirmed.size() == kEvents - 1);
  CHECK(confirmed.count(poisoned) == 0);
  CHECK(CheckpointPosition(*client, "relay:erp-hook") == kEvents);

  std::ifstream in(dead_letters);
  std::string line;
  std::vector<std::string> lines;
  while (std::getline(in, line)) lines.push_back(line);
  REQUIRE(lines.size() == 1);
  simdjson::dom::parser parser;
  simdjson::dom::element record = parser.parse(lines[0]);
  CHECK(std::string_view(record["id"]) == poisoned);
  CHECK(uint64_t(record["position"]) == 5);
  CHECK(int64_t(record["attempts"]) == 3);
  CHECK(std::string_view(record["last_error"]) == "HTTP 500");
  CHECK(std::string_view(record["event"]["id"]) == poisoned);
  CHECK(relay.metrics().ForSink(kOrsted, "erp-hook").dead_letters.Value() == 1);

  // The operator's view: `evstore-relay dead-letters` lists the record.
  const std::string config = dead_letters + ".json";
  std::ofstream(config) << R"({"server": {"address": "unused:1",
      "token_env": "UNUSED"}, "customers": [{"customer": "orsted-dk",
      "sinks": [{"name": "erp-hook", "type": "webhook", "url": "http://x",
      "secret_env": "UNUSED", "dead_letter_file": ")"
                        << dead_letters << R"("}]}]})";
  const ProcessResult listed =
      RunProcess({RelayPath(), "dead-letters", "--config=" + config});
  CHECK(listed.exit_code == 0);
  CHECK(listed.out == "orsted-dk\terp-hook\t5\t" +
                          std::string(kRelayStreams[1]) + "\t" + poisoned +
                          "\t3\tHTTP 500\n");
  std::remove(config.c_str());
  std::remove(dead_letters.c_str());
}

}  // namespace
}  // namespace evstore::testing
