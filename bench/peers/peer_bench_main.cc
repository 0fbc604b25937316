// evstore-peer-bench: the evstore-bench workloads against a peer system, for
// side-by-side comparisons (bench/compare.sh).
//
//   --peer=redis     Redis 7 Streams (hiredis)
//   --peer=postgres  PostgreSQL 15 (libpq)
//
// Workloads (--workload), with the knobs and defaults of evstore-bench:
//   single   W1: --producers (64) connections, one event per append, each
//            waiting for its acknowledgement.
//   batched  W2: --producers (16) connections, --batch (100) events of one
//            stream per append.
//   latency  W3: --producers (32) connections send single events at a fixed
//            total --rate (5,000/s) while --subscribers (100) live
//            subscribers, spread over the customers, tail their customer's
//            feed; latency is from send to each subscriber's receipt.
// See peer_workloads.h for how each peer models an append and a feed. The
// server must be started with durability equal to evstore's (an append is
// acknowledged after fsync): bench/peers/start_redis.sh, start_postgres.sh.
//
// Output: the table and JSON of evstore-bench (bench/report.h), the same
// schema; `transport` names the peer. Exit status: 0 when every append (and
// every delivery, for latency) succeeded, 1 otherwise, 2 for bad flags or an
// unreachable server.
#include <iostream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "bench/peers/peer_workloads.h"
#include "bench/stamped_payload.h"

ABSL_FLAG(std::string, peer, "", "redis or postgres");
ABSL_FLAG(std::string, address, "127.0.0.1:6379", "the peer's host:port");
ABSL_FLAG(std::string, pg_user, "postgres", "postgres: role to connect as");
ABSL_FLAG(std::string, pg_database, "postgres", "postgres: database");
ABSL_FLAG(std::string, pg_notify, "in-transaction",
          "postgres latency workload: in-transaction (pg_notify in the "
          "appending statement) or after-commit (a statement of its own)");
ABSL_FLAG(std::string, workload, "batched", "single, batched or latency");
ABSL_FLAG(int32_t, producers, 0,
          "producer connections; 0: 64 single, 16 batched, 32 latency");
ABSL_FLAG(int32_t, batch, 100, "batched workload: events per append");
ABSL_FLAG(int64_t, event_bytes, 256, "bytes of JSON payload per event");
ABSL_FLAG(int32_t, customers, 10, "customers, chosen round-robin");
ABSL_FLAG(int32_t, streams, 1000, "streams per customer, chosen at random");
ABSL_FLAG(int32_t, subscribers, 100, "latency workload: live subscribers");
ABSL_FLAG(double, rate, 5000, "latency workload: events per second");
ABSL_FLAG(int32_t, subscriber_threads, 2,
          "latency workload: threads polling the subscribers' connections");
ABSL_FLAG(double, duration, 10, "measured seconds");
ABSL_FLAG(double, warmup, 2, "seconds of load before measuring");
ABSL_FLAG(bool, json, false,
          "print one JSON object on stdout (the table goes to stderr)");
ABSL_FLAG(int32_t, server_pid, 0,
          "when set, the server process whose CPU use is reported (for "
          "postgres: the postmaster; its backends are added)");
ABSL_FLAG(std::string, label, "", "free text copied into the report");

namespace evstore::bench {
namespace {

absl::Status Validate(const RunConfig& config, const std::string& peer) {
  if (peer != "redis" && peer != "postgres") {
    return absl::InvalidArgumentError("--peer: expected redis or postgres");
  }
  if (config.workload != "single" && config.workload != "batched" &&
      config.workload != "latency") {
    return absl::InvalidArgumentError(
        "--workload: expected single, batched or latency");
  }
  if (config.producers < 1 || config.batch < 1 || config.customers < 1 ||
      config.streams < 1 || config.event_bytes < 1 || config.subscribers < 0) {
    return absl::InvalidArgumentError(
        "--producers, --batch, --customers, --streams and --event_bytes must "
        "be at least 1");
  }
  if (config.workload == "latency" &&
      (!(config.rate > 0) || config.event_bytes < kMinStampedPayloadBytes)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "latency: --rate must be positive and --event_bytes at least ",
        kMinStampedPayloadBytes));
  }
  if (!(config.duration_s > 0) || !(config.warmup_s >= 0)) {
    return absl::InvalidArgumentError(
        "--duration must be positive and --warmup not negative");
  }
  return absl::OkStatus();
}

int Main(int argc, char* argv[]) {
  absl::FlagsUsageConfig usage_config;
  usage_config.contains_help_flags = [](absl::string_view path) {
    return absl::StrContains(path, "bench/");
  };
  usage_config.contains_helpshort_flags = usage_config.contains_help_flags;
  absl::SetFlagsUsageConfig(usage_config);
  absl::SetProgramUsageMessage(
      "evstore-bench workloads against Redis or PostgreSQL; see "
      "bench/peers/peer_bench_main.cc");
  absl::ParseCommandLine(argc, argv);

  const std::string peer_name = absl::GetFlag(FLAGS_peer);
  RunConfig config;
  config.address = absl::GetFlag(FLAGS_address);
  config.workload = absl::GetFlag(FLAGS_workload);
  config.transport = peer_name;
  config.producers = absl::GetFlag(FLAGS_producers);
  if (config.producers == 0) {
    config.producers = config.workload == "single"    ? 64
                       : config.workload == "latency" ? 32
                                                      : 16;
  }
  config.batch = config.workload == "batched" ? absl::GetFlag(FLAGS_batch) : 1;
  const int64_t event_bytes = absl::GetFlag(FLAGS_event_bytes);
  config.event_bytes =
      event_bytes > 0 ? static_cast<std::size_t>(event_bytes) : 0;
  config.customers = absl::GetFlag(FLAGS_customers);
  config.streams = absl::GetFlag(FLAGS_streams);
  config.ids = "random";
  config.duration_s = absl::GetFlag(FLAGS_duration);
  config.warmup_s = absl::GetFlag(FLAGS_warmup);
  config.label = absl::GetFlag(FLAGS_label);
  if (config.workload == "latency") {
    config.subscribers = absl::GetFlag(FLAGS_subscribers);
    config.rate = absl::GetFlag(FLAGS_rate);
  }
  if (absl::Status valid = Validate(config, peer_name); !valid.ok()) {
    std::cerr << "evstore-peer-bench: " << valid.message() << "\n";
    return 2;
  }

  PeerOptions peer;
  const std::size_t colon = config.address.rfind(':');
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(config.address.substr(colon + 1), &peer.port)) {
    std::cerr << "evstore-peer-bench: --address: expected host:port\n";
    return 2;
  }
  peer.host = config.address.substr(0, colon);
  peer.user = absl::GetFlag(FLAGS_pg_user);
  peer.database = absl::GetFlag(FLAGS_pg_database);
  peer.subscriber_threads = absl::GetFlag(FLAGS_subscriber_threads);
  const std::string pg_notify = absl::GetFlag(FLAGS_pg_notify);
  if (pg_notify != "in-transaction" && pg_notify != "after-commit") {
    std::cerr << "evstore-peer-bench: --pg_notify: expected in-transaction "
                 "or after-commit\n";
    return 2;
  }
  peer.pg_notify_after_commit = pg_notify == "after-commit";
  if (peer_name == "postgres" && config.workload == "latency") {
    config.transport = "postgres-notify-" + pg_notify;
  }

  DriverOptions driver;
  driver.producers = config.producers;
  driver.warmup_s = config.warmup_s;
  driver.duration_s = config.duration_s;
  driver.server_pid = absl::GetFlag(FLAGS_server_pid);
  driver.server_is_process_tree = peer_name == "postgres";

  absl::StatusOr<RunResult> result =
      peer_name == "redis" ? RunRedisWorkload(config, peer, driver)
                           : RunPostgresWorkload(config, peer, driver);
  if (!result.ok()) {
    std::cerr << "evstore-peer-bench: " << result.status().ToString() << "\n";
    return 2;
  }
  const std::string table = FormatTable(config, *result);
  if (absl::GetFlag(FLAGS_json)) {
    std::cerr << table << std::flush;
    std::cout << FormatJson(config, *result) << std::endl;
  } else {
    std::cout << table << std::flush;
  }
  return result->errors == 0 ? 0 : 1;
}

}  // namespace
}  // namespace evstore::bench

int main(int argc, char* argv[]) { return evstore::bench::Main(argc, argv); }
