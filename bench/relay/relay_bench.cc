// evstore-relay-bench: how fast the relay moves a feed into its sinks.
// Against a running evstored (--address, admin token), for each run it
// appends --events events of --event_bytes over --streams streams of a fresh
// customer, then starts one DeliveryLoop (the relay's own code) from the
// beginning of the feed and times it until every event is acknowledged:
//
//   webhook c=N  WebhookSink into an in-process HTTP receiver that holds
//                every request --receiver_delay_ms (a receiver's own work),
//                N requests at once (--concurrency, a list), and checks that
//                every event arrived once in stream order;
//   kafka        KafkaSink (idempotent, acks=all) into librdkafka's mock
//                cluster (3 brokers, 6 partitions, replication 3).
//
// Prints events/s per run and the ratio of each webhook run to the first.
// Exit status 0 when every run delivered everything, 1 otherwise, 2 for bad
// flags.
#include <curl/curl.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/bench_token.h"
#include "bench/event_factory.h"
#include "client/evstore_client.h"
#include "relay/delivery_loop.h"
#include "relay/kafka_sink.h"
#include "relay/relay_metrics.h"
#include "relay/webhook_sink.h"
#include "tests/relay/webhook_receiver.h"

ABSL_FLAG(std::string, address, "127.0.0.1:50051", "evstored address");
ABSL_FLAG(std::string, token, "",
          "admin token (evs_...); default: $EVSTORE_TOKEN");
ABSL_FLAG(int64_t, events, 20'000, "events per run");
ABSL_FLAG(int32_t, streams, 16, "streams the events are spread over");
ABSL_FLAG(int64_t, event_bytes, 256, "bytes of JSON payload per event");
ABSL_FLAG(int32_t, events_per_append, 4,
          "events per append (one stream each, the streams in turn)");
ABSL_FLAG(int32_t, receiver_delay_ms, 1,
          "how long the webhook receiver holds each request");
ABSL_FLAG(std::string, concurrency, "1,8",
          "webhook runs: max_concurrent_requests of each");
ABSL_FLAG(bool, kafka, true, "also run the Kafka sink into a mock cluster");
ABSL_FLAG(int32_t, max_batch, 500,
          "events the delivery loop hands a sink at once (the relay's "
          "default: 500)");
ABSL_FLAG(double, timeout, 600, "seconds one run may take at most");

namespace evstore::bench {
namespace {

struct RunResult {
  std::string name;
  std::int64_t events = 0;
  double seconds = 0;
  bool complete = false;
  double events_per_second() const {
    return seconds > 0 ? static_cast<double>(events) / seconds : 0;
  }
};

// Appends the run's events to `customer`, --events_per_append per append
// (one stream each, the streams in turn).
absl::Status AppendEvents(const client::Client& client,
                          const std::string& customer) {
  const std::int64_t events = absl::GetFlag(FLAGS_events);
  const int streams = absl::GetFlag(FLAGS_streams);
  const std::string payload = MakeJsonPayload(
      static_cast<std::size_t>(absl::GetFlag(FLAGS_event_bytes)), 68);
  Random random(static_cast<std::uint64_t>(absl::ToUnixNanos(absl::Now())));
  for (std::int64_t done = 0, append = 0; done < events; ++append) {
    v1::AppendRequest request;
    request.set_customer(customer);
    v1::StreamWrite* write = request.add_writes();
    write->set_stream(
        absl::StrCat("contract/DS", 100000 + append % streams, "/nominations"));
    const int per_append = absl::GetFlag(FLAGS_events_per_append);
    for (int i = 0; i < per_append && done < events; ++i, ++done) {
      v1::ProposedEvent* event = write->add_events();
      event->set_id(RandomUuid(random));
      event->set_type("NominationResponseReceived");
      event->set_data(payload);
    }
    if (absl::StatusOr<v1::AppendResponse> appended = client.Append(request);
        !appended.ok()) {
      return appended.status();
    }
  }
  return absl::OkStatus();
}

// Runs `loop` until it acknowledged every event (or the timeout).
RunResult Time(const std::string& name, relay::DeliveryLoop& loop) {
  const std::int64_t events = absl::GetFlag(FLAGS_events);
  absl::Notification stop;
  absl::Status status;
  const absl::Time start = absl::Now();
  std::thread runner([&] { status = loop.Run(stop); });
  const absl::Time deadline =
      start + absl::Seconds(absl::GetFlag(FLAGS_timeout));
  while (loop.acknowledged_position() < static_cast<std::uint64_t>(events) &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(2));
  }
  RunResult result{.name = name,
                   .events = events,
                   .seconds = absl::ToDoubleSeconds(absl::Now() - start)};
  stop.Notify();
  runner.join();
  result.complete =
      loop.acknowledged_position() == static_cast<std::uint64_t>(events) &&
      status.ok();
  if (!status.ok())
    std::fprintf(stderr, "%s: %s\n", name.c_str(), status.ToString().c_str());
  return result;
}

// Every event once, each stream's revisions 1, 2, 3, ... in order.
bool ReceivedInOrder(const std::vector<testing::ReceivedRequest>& requests,
                     std::int64_t events) {
  std::map<std::string, std::uint64_t> last_revision;
  std::int64_t confirmed = 0;
  for (const testing::ReceivedRequest& request : requests) {
    if (request.status != 200) continue;
    // "subject":"<stream>" and "evstorerevision":"<n>" (docs/relay.md).
    const std::size_t subject = request.body.find("\"subject\":\"");
    const std::size_t revision = request.body.find("\"evstorerevision\":\"");
    if (subject == std::string::npos || revision == std::string::npos) {
      return false;
    }
    const std::size_t subject_start = subject + 11;
    const std::string stream = request.body.substr(
        subject_start, request.body.find('"', subject_start) - subject_start);
    const std::size_t revision_start = revision + 19;
    std::uint64_t number = 0;
    if (!absl::SimpleAtoi(
            request.body.substr(
                revision_start,
                request.body.find('"', revision_start) - revision_start),
            &number) ||
        number != last_revision[stream] + 1) {
      return false;
    }
    last_revision[stream] = number;
    ++confirmed;
  }
  return confirmed == events;
}

RunResult WebhookRun(const client::Client& client, const std::string& customer,
                     int concurrency, relay::RelayMetrics& metrics) {
  const absl::Duration delay =
      absl::Milliseconds(absl::GetFlag(FLAGS_receiver_delay_ms));
  testing::WebhookReceiver receiver([delay](const testing::ReceivedRequest&) {
    return testing::ReceiverReply{.status = 200, .delay = delay};
  });
  absl::StatusOr<std::unique_ptr<relay::WebhookSink>> sink =
      relay::WebhookSink::Create(
          {.sink_name = "bench-hook",
           .url = receiver.url(),
           .secret = "relay-bench-secret",
           .max_concurrent_requests = concurrency,
           .dead_letter_file = "/nonexistent/relay-bench.dlq"},
          nullptr);
  if (!sink.ok()) return {.name = sink.status().ToString()};
  relay::DeliveryLoop loop(
      client,
      {.customer = customer,
       .checkpoint = absl::StrCat("relay:bench-hook-", concurrency),
       .max_batch = static_cast<std::size_t>(absl::GetFlag(FLAGS_max_batch))},
      *std::move(sink), metrics.ForSink(customer, "bench-hook"));
  RunResult result = Time(absl::StrCat("webhook c=", concurrency), loop);
  result.complete =
      result.complete && ReceivedInOrder(receiver.requests(), result.events);
  return result;
}

RunResult KafkaRun(const client::Client& client, const std::string& customer,
                   relay::RelayMetrics& metrics) {
  char error[256];
  rd_kafka_t* handle = rd_kafka_new(RD_KAFKA_PRODUCER, rd_kafka_conf_new(),
                                    error, sizeof(error));
  if (handle == nullptr) return {.name = error};
  rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(handle, 3);
  rd_kafka_mock_topic_create(cluster, "evstore-feed", 6, 3);
  RunResult result{.name = "kafka"};
  {
    absl::StatusOr<std::unique_ptr<relay::KafkaSink>> sink =
        relay::KafkaSink::Create(
            {.topic = "evstore-feed",
             .source = "evstore://bench",
             .properties = {{"bootstrap.servers",
                             rd_kafka_mock_cluster_bootstraps(cluster)},
                            {"linger.ms", "5"}}});
    if (sink.ok()) {
      relay::DeliveryLoop loop(
          client,
          {.customer = customer,
           .checkpoint = "relay:bench-kafka",
           .max_batch =
               static_cast<std::size_t>(absl::GetFlag(FLAGS_max_batch))},
          *std::move(sink), metrics.ForSink(customer, "bench-kafka"));
      result = Time("kafka (mock cluster)", loop);
    } else {
      result.name = sink.status().ToString();
    }
  }
  rd_kafka_mock_cluster_destroy(cluster);
  rd_kafka_destroy(handle);
  return result;
}

int Main() {
  std::vector<int> concurrency;
  for (const absl::string_view part :
       absl::StrSplit(absl::GetFlag(FLAGS_concurrency), ',')) {
    int value = 0;
    if (!absl::SimpleAtoi(part, &value) || value < 1 || value > 256) {
      std::fprintf(stderr, "--concurrency: 1 to 256, comma-separated\n");
      return 2;
    }
    concurrency.push_back(value);
  }
  absl::StatusOr<std::unique_ptr<client::Client>> client =
      client::Client::Connect(
          {.address = absl::GetFlag(FLAGS_address),
           .token = BenchToken(absl::GetFlag(FLAGS_token))});
  if (!client.ok()) {
    std::fprintf(stderr, "%s\n", client.status().ToString().c_str());
    return 1;
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  relay::RelayMetrics metrics;
  const std::string run_id = absl::StrCat(absl::ToUnixSeconds(absl::Now()));
  std::vector<RunResult> results;
  std::vector<std::string> runs;
  runs.reserve(concurrency.size() + 1);
  for (const int c : concurrency) runs.emplace_back(absl::StrCat("hook", c));
  if (absl::GetFlag(FLAGS_kafka)) runs.emplace_back("kafka");
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const std::string customer =
        absl::StrCat("relay-bench-", run_id, "-", runs[i]);
    if (absl::Status appended = AppendEvents(**client, customer);
        !appended.ok()) {
      std::fprintf(stderr, "append: %s\n", appended.ToString().c_str());
      return 1;
    }
    results.push_back(
        i < concurrency.size()
            ? WebhookRun(**client, customer, concurrency[i], metrics)
            : KafkaRun(**client, customer, metrics));
  }
  std::printf(
      "evstore-relay-bench: %lld events of %lld bytes over %d streams per "
      "run, webhook receiver holds each request %d ms\n",
      static_cast<long long>(absl::GetFlag(FLAGS_events)),
      static_cast<long long>(absl::GetFlag(FLAGS_event_bytes)),
      absl::GetFlag(FLAGS_streams), absl::GetFlag(FLAGS_receiver_delay_ms));
  std::printf("%-24s %10s %12s %8s %s\n", "run", "seconds", "events/s", "ratio",
              "complete");
  bool all_complete = true;
  for (const RunResult& result : results) {
    const double base = results.front().events_per_second();
    std::printf("%-24s %10.2f %12.0f %8.2f %s\n", result.name.c_str(),
                result.seconds, result.events_per_second(),
                base > 0 ? result.events_per_second() / base : 0,
                result.complete ? "yes" : "NO");
    all_complete = all_complete && result.complete;
  }
  return all_complete ? 0 : 1;
}

}  // namespace
}  // namespace evstore::bench

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "evstore-relay-bench --address=HOST:PORT [--events=N] [--streams=N] "
      "[--concurrency=1,8] [--receiver_delay_ms=1] [--kafka]");
  absl::ParseCommandLine(argc, argv);
  return evstore::bench::Main();
}
