// evstore-relay: delivers customers' feeds to Kafka / Event Hubs topics and
// webhooks (docs/relay.md).
//
// Usage: evstore-relay --config=relay.json
//        evstore-relay dead-letters --config=relay.json
//          (lists the dead-letter records of every webhook sink, one per line,
//          tab-separated: customer, sink, position, stream, id, attempts,
//          last error)
//        evstore-relay redrive --config=relay.json --customer=C --sink=S
//          [--dry-run]
//          (re-posts that webhook sink's dead letters, see
//          relay/dead_letter_redrive.h; exit 0 when all were delivered, 1
//          when some stay dead-lettered, 2 for a usage or configuration
//          error, 3 when the customer or sink is unknown or not a webhook)
// Exit codes: 0 after SIGINT or SIGTERM (every loop committed what its sink
// confirmed); 1 when a delivery loop failed permanently (e.g. the token may
// not read the customer) or could not commit on shutdown; 2 for an invalid
// configuration or a sink that cannot be created.
#include <curl/curl.h>
#include <signal.h>

#include <cstdio>
#include <ctime>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "prometheus/exposer.h"
#include "relay/dead_letter_claim.h"
#include "relay/dead_letter_listing.h"
#include "relay/dead_letter_redrive.h"
#include "relay/relay_config.h"
#include "relay/relay_metrics.h"
#include "relay/relay_runner.h"
#include "relay/secret.h"
#include "spdlog/spdlog.h"

namespace {

// `evstore-relay dead-letters`: prints every webhook sink's dead letters.
int ListDeadLetters(const evstore::relay::RelayConfig& config) {
  for (const evstore::relay::CustomerConfig& customer : config.customers) {
    for (const evstore::relay::SinkConfig& sink : customer.sinks) {
      if (sink.type != evstore::relay::SinkConfig::Type::kWebhook) continue;
      absl::StatusOr<std::vector<evstore::relay::DeadLetterSummary>> records =
          evstore::relay::ReadDeadLetters(sink.webhook.dead_letter_file);
      if (!records.ok()) {
        std::fprintf(stderr, "evstore-relay: %s\n",
                     records.status().ToString().c_str());
        return 1;
      }
      absl::StatusOr<std::vector<std::string>> leftovers =
          evstore::relay::RedriveFiles(sink.webhook.dead_letter_file);
      for (const std::string& leftover :
           leftovers.ok() ? *leftovers : std::vector<std::string>{}) {
        std::fprintf(stderr,
                     "evstore-relay: %s: records taken by a running or "
                     "interrupted redrive (the next redrive re-posts them)\n",
                     leftover.c_str());
      }
      for (const evstore::relay::DeadLetterSummary& record : *records) {
        std::printf("%s\t%s\t%llu\t%s\t%s\t%lld\t%s\n", record.customer.c_str(),
                    record.sink.c_str(),
                    static_cast<unsigned long long>(record.position),
                    record.stream.c_str(), record.id.c_str(),
                    static_cast<long long>(record.attempts),
                    record.last_error.c_str());
      }
    }
  }
  return 0;
}

const char* OutcomeText(evstore::relay::RedriveResult::Outcome outcome) {
  switch (outcome) {
    case evstore::relay::RedriveResult::Outcome::kDelivered:
      return "delivered";
    case evstore::relay::RedriveResult::Outcome::kOtherSink:
      return "skipped: another sink's record";
    case evstore::relay::RedriveResult::Outcome::kWouldRepost:
      return "would re-post";
    case evstore::relay::RedriveResult::Outcome::kFailed:
      break;
  }
  return "failed";
}

// `evstore-relay redrive`: re-posts one webhook sink's dead letters.
int Redrive(const evstore::relay::RelayConfig& config,
            const std::string& customer_id, const std::string& sink_name,
            bool dry_run) {
  if (customer_id.empty() || sink_name.empty()) {
    std::fprintf(stderr,
                 "evstore-relay: redrive needs --customer and --sink\n");
    return 2;
  }
  const evstore::relay::SinkConfig* sink = nullptr;
  for (const evstore::relay::CustomerConfig& customer : config.customers) {
    if (customer.customer != customer_id) continue;
    for (const evstore::relay::SinkConfig& candidate : customer.sinks) {
      if (candidate.name == sink_name) sink = &candidate;
    }
  }
  if (sink == nullptr ||
      sink->type != evstore::relay::SinkConfig::Type::kWebhook) {
    std::fprintf(stderr, "evstore-relay: customer %s has no webhook sink %s\n",
                 customer_id.c_str(), sink_name.c_str());
    return 3;
  }
  absl::StatusOr<std::string> secret =
      evstore::relay::ResolveSecret(sink->webhook.secret);
  if (!secret.ok()) {
    std::fprintf(stderr, "evstore-relay: webhook secret: %s\n",
                 secret.status().ToString().c_str());
    return 2;
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  const absl::StatusOr<evstore::relay::RedriveTotals> totals =
      evstore::relay::RedriveDeadLetters(
          {.customer = customer_id,
           .sink_name = sink_name,
           .target = {.url = sink->webhook.url,
                      .secret = *secret,
                      .timeout = sink->webhook.timeout},
           .max_attempts = sink->webhook.max_attempts,
           .initial_backoff = sink->webhook.initial_backoff,
           .max_backoff = sink->webhook.max_backoff,
           .dead_letter_file = sink->webhook.dead_letter_file,
           .dry_run = dry_run},
          [](const evstore::relay::RedriveResult& result) {
            const bool failed = result.outcome ==
                                evstore::relay::RedriveResult::Outcome::kFailed;
            std::printf("%llu\t%s\t%s%s%s\n",
                        static_cast<unsigned long long>(result.record.position),
                        result.record.id.c_str(), OutcomeText(result.outcome),
                        failed ? ": " : "",
                        failed ? result.record.last_error.c_str() : "");
            std::fflush(stdout);
          });
  curl_global_cleanup();
  if (!totals.ok()) {
    std::fprintf(stderr, "evstore-relay: redrive: %s\n",
                 totals.status().ToString().c_str());
    return 1;
  }
  if (dry_run) {
    std::printf("dry run: %zu would be re-posted, %zu of other sinks\n",
                totals->would_repost, totals->remaining);
    return 0;
  }
  std::printf("redrive: %zu delivered, %zu still dead-lettered",
              totals->delivered, totals->remaining);
  if (totals->duplicates > 0) {
    std::printf(", %zu duplicate record(s) merged", totals->duplicates);
  }
  std::printf("\n");
  return totals->remaining == 0 ? 0 : 1;
}

}  // namespace

ABSL_FLAG(std::string, config, "",
          "The relay configuration (JSON, see docs/relay.md)");
ABSL_FLAG(std::string, customer, "", "redrive: the customer of the sink");
ABSL_FLAG(std::string, sink, "", "redrive: the webhook sink's name");
ABSL_FLAG(bool, dry_run, false,
          "redrive: list what would be re-posted, change nothing");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "delivers evstore feeds to Kafka / Event Hubs and webhooks\n"
      "usage: evstore-relay --config=relay.json\n"
      "       evstore-relay dead-letters --config=relay.json\n"
      "       evstore-relay redrive --config=relay.json --customer=C "
      "--sink=S [--dry-run]");
  // Abseil spells flags with underscores; the documented `--dry-run` is
  // accepted as well.
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--dry-run") {
      argv[i] = const_cast<char*>("--dry_run");  // NOLINT: argv is mutable.
    }
  }
  const std::vector<char*> arguments = absl::ParseCommandLine(argc, argv);

  absl::StatusOr<evstore::relay::RelayConfig> config =
      evstore::relay::LoadRelayConfig(absl::GetFlag(FLAGS_config));
  if (!config.ok()) {
    std::fprintf(stderr, "evstore-relay: %s\n",
                 config.status().ToString().c_str());
    return 2;
  }
  if (arguments.size() == 2 && std::string(arguments[1]) == "dead-letters") {
    return ListDeadLetters(*config);
  }
  if (arguments.size() == 2 && std::string(arguments[1]) == "redrive") {
    return Redrive(*config, absl::GetFlag(FLAGS_customer),
                   absl::GetFlag(FLAGS_sink), absl::GetFlag(FLAGS_dry_run));
  }
  if (arguments.size() > 1) {
    std::fprintf(stderr, "evstore-relay: unknown command %s\n", arguments[1]);
    return 2;
  }

  // SIGINT and SIGTERM are taken by sigtimedwait below; block them before
  // any thread starts so that every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  curl_global_init(CURL_GLOBAL_DEFAULT);

  evstore::relay::RelayMetrics metrics;
  std::unique_ptr<prometheus::Exposer> exposer;
  if (config->metrics_port > 0) {
    exposer = std::make_unique<prometheus::Exposer>(
        absl::StrCat("0.0.0.0:", config->metrics_port), /*num_threads=*/1);
    exposer->RegisterCollectable(metrics.registry());
  }

  absl::StatusOr<std::unique_ptr<evstore::relay::RelayRunner>> runner =
      evstore::relay::RelayRunner::Create(*config, metrics);
  if (!runner.ok()) {
    std::fprintf(stderr, "evstore-relay: %s\n",
                 runner.status().ToString().c_str());
    return 2;
  }
  (*runner)->Start();
  spdlog::info("evstore-relay: relaying {} customer(s) from {}",
               config->customers.size(), config->address);

  const timespec poll = {.tv_sec = 0, .tv_nsec = 200'000'000};
  while (!(*runner)->Finished()) {
    if (sigtimedwait(&signals, nullptr, &poll) > 0) {
      spdlog::info("evstore-relay: stopping");
      break;
    }
  }
  const absl::Status stopped = (*runner)->Stop();
  runner->reset();
  curl_global_cleanup();
  if (!stopped.ok()) {
    spdlog::error("evstore-relay: {}", stopped.ToString());
    return 1;
  }
  return 0;
}
