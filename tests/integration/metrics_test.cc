// The Prometheus endpoint of a real evstored (--metrics_address): the key
// series move when events are appended and delivered, and the live output
// passes `promtool check metrics`.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/evstore_client.h"
#include "tests/integration/evstored_process.h"
#include "tests/integration/metrics_scrape.h"
#include "tests/integration/run_process.h"
#include "tests/integration/test_events.h"

namespace evstore::testing {
namespace {

std::string Scrape(const EvstoredProcess& server) {
  REQUIRE(server.metrics_port() > 0);
  absl::StatusOr<std::string> text = HttpGet(server.metrics_port(), "/metrics");
  INFO("scrape failed: " << text.status());
  REQUIRE(text.ok());
  return *std::move(text);
}

double Value(const std::map<std::string, double>& samples,
             const std::string& sample) {
  const std::optional<double> value = SampleValue(samples, sample);
  INFO("sample " << sample);
  REQUIRE(value.has_value());
  return *value;
}

std::string Customer(const std::string& name, const std::string& customer) {
  return name + "{customer=\"" + customer + "\"}";
}

// Reads until the subscription's caught_up; returns the events received.
size_t ReadUntilCaughtUp(client::Subscription& subscription) {
  size_t events = 0;
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (absl::Now() < deadline) {
    absl::StatusOr<v1::SubscribeResponse> message =
        subscription.Next(absl::Seconds(1));
    if (absl::IsDeadlineExceeded(message.status())) continue;
    INFO("subscription failed: " << message.status());
    REQUIRE(message.ok());
    if (message->has_events()) events += message->events().events_size();
    if (message->has_caught_up()) return events;
  }
  FAIL("no caught_up within 30 s");
  return events;
}

// promtool from PATH, if installed.
std::optional<std::string> FindPromtool() {
  const char* path = std::getenv("PATH");
  std::istringstream directories(path != nullptr ? path : "");
  for (std::string directory; std::getline(directories, directory, ':');) {
    const std::filesystem::path candidate =
        std::filesystem::path(directory) / "promtool";
    if (std::filesystem::exists(candidate)) return candidate.string();
  }
  return std::nullopt;
}

TEST_CASE("metrics series move when events are appended and delivered") {
  EvstoredProcess server;
  std::unique_ptr<client::Client> client = server.Connect();

  std::map<std::string, double> before = ParseSamples(Scrape(server));
  CHECK_FALSE(
      SampleValue(before, Customer("evstore_appended_events_total", kOrsted))
          .has_value());
  const double ok_before =
      Value(before, "evstore_append_requests_total{code=\"OK\"}");

  MustAppend(*client, SingleWrite(kOrsted, kNominations, 1, 0, 3));
  MustAppend(*client, SingleWrite(kOrsted, kNominations, 1, 3, 2));
  // Refused by validation (not an event id): counted by its code.
  v1::AppendRequest invalid = SingleWrite(kOrsted, kNominations, 2, 0, 1);
  invalid.mutable_writes(0)->mutable_events(0)->set_id("not-a-uuid");
  REQUIRE(absl::IsInvalidArgument(client->Append(invalid).status()));

  v1::SubscribeRequest request;
  request.set_customer(kOrsted);
  request.set_origin(v1::SUBSCRIBE_START_BEGINNING);
  std::unique_ptr<client::Subscription> subscription =
      client->Subscribe(request);
  REQUIRE(ReadUntilCaughtUp(*subscription) == 5);

  const std::map<std::string, double> after = ParseSamples(Scrape(server));
  CHECK(Value(after, "evstore_append_requests_total{code=\"OK\"}") ==
        ok_before + 2);
  CHECK(Value(after,
              "evstore_append_requests_total{code=\"INVALID_ARGUMENT\"}") == 1);
  CHECK(Value(after, Customer("evstore_appended_events_total", kOrsted)) == 5);
  CHECK(Value(after, Customer("evstore_appended_bytes_total", kOrsted)) > 0);
  CHECK(Value(after, Customer("evstore_delivered_events_total", kOrsted)) == 5);
  CHECK(Value(after, Customer("evstore_subscriptions_active", kOrsted)) == 1);
  CHECK(Value(after,
              Customer("evstore_subscription_lag_max_events", kOrsted)) == 0);
  CHECK(Value(after, "evstore_append_duration_seconds_count") == 2);
  CHECK(Value(after, "evstore_append_duration_seconds_bucket{le=\"+Inf\"}") ==
        2);
  CHECK(Value(after, "evstore_wal_fsync_duration_seconds_count") >= 2);
  CHECK(Value(after, "evstore_commit_group_events_sum") >= 5);
  CHECK(Value(after, "evstore_subscription_lag_events_count") >= 1);
  const std::string events_memtable =
      "evstore_storage_memtable_bytes{column_family=\"events\"}";
  CHECK(Value(after, events_memtable) > Value(before, events_memtable));
  CHECK(
      SampleValue(after, "evstore_storage_sst_bytes{column_family=\"events\"}")
          .has_value());
  CHECK(SampleValue(after, "evstore_rocksdb_write_stopped") == 0);
  CHECK(SampleValue(after, "evstore_rocksdb_running_compactions").has_value());
  CHECK(Value(after, "process_resident_memory_bytes") > 0);
  CHECK(Value(after, "process_open_fds") > 0);
  CHECK(Value(after, "process_cpu_seconds_total") > 0);

  // The subscription ends: no longer active (OnDone runs shortly after).
  subscription.reset();
  double active = 1;
  for (const absl::Time deadline = absl::Now() + absl::Seconds(10);
       active != 0 && absl::Now() < deadline;
       absl::SleepFor(absl::Milliseconds(50))) {
    active = Value(ParseSamples(Scrape(server)),
                   Customer("evstore_subscriptions_active", kOrsted));
  }
  CHECK(active == 0);
}

TEST_CASE("promtool check metrics passes on the live output") {
  EvstoredProcess server;
  std::unique_ptr<client::Client> client = server.Connect();
  MustAppend(*client, SingleWrite(kOrsted, kNominations, 1, 0, 3));
  MustAppend(*client, SingleWrite(kGasum, kNominations, 2, 0, 1));
  const std::string text = Scrape(server);

  const std::optional<std::string> promtool = FindPromtool();
  if (!promtool.has_value()) {
    if (std::getenv("EVSTORE_SKIP_PROMTOOL") != nullptr) {
      WARN("SKIPPED: promtool is not installed (EVSTORE_SKIP_PROMTOOL set)");
      return;
    }
    FAIL(
        "promtool is not installed: run scripts/install-deps.sh (Debian "
        "package prometheus), or set EVSTORE_SKIP_PROMTOOL=1 to skip this "
        "check");
  }
  const ProcessResult result = RunProcess({*promtool, "check", "metrics"}, {},
                                          std::chrono::seconds(60), text);
  INFO("promtool stdout: " << result.out);
  INFO("promtool stderr: " << result.err);
  CHECK(result.exit_code == 0);
  // promtool prints lint problems but may still exit 0 for some of them.
  CHECK(result.err.empty());
  CHECK(result.out.empty());
}

TEST_CASE("an empty metrics_address disables the endpoint") {
  EvstoredProcess server(std::vector<std::string>{"--metrics_address="});
  CHECK(server.metrics_port() == 0);
  std::unique_ptr<client::Client> client = server.Connect();
  MustAppend(*client, SingleWrite(kOrsted, kNominations, 1, 0, 1));
}

}  // namespace
}  // namespace evstore::testing
