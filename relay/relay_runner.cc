#include "relay/relay_runner.h"

#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "client/retry_policy.h"
#include "relay/cloud_event.h"
#include "relay/kafka_sink.h"
#include "relay/secret.h"
#include "relay/webhook_sink.h"

namespace evstore::relay {
namespace {

absl::Status Annotate(const absl::Status& status, const std::string& where) {
  return absl::Status(status.code(),
                      absl::StrCat(where, ": ", status.message()));
}

absl::StatusOr<std::unique_ptr<Sink>> MakeSink(const std::string& customer,
                                               const SinkConfig& config,
                                               const absl::Notification* stop) {
  const std::string source =
      config.source.empty() ? DefaultSource(customer) : config.source;
  if (config.type == SinkConfig::Type::kKafka) {
    KafkaSinkOptions options{
        .topic = config.kafka.topic,
        .source = source,
        .claim_check_bytes = config.kafka.claim_check_bytes,
        .properties = config.kafka.properties};
    for (const auto& [name, ref] : config.kafka.secret_properties) {
      absl::StatusOr<std::string> value = ResolveSecret(ref);
      if (!value.ok()) return Annotate(value.status(), name);
      options.properties.emplace_back(name, *std::move(value));
    }
    return KafkaSink::Create(std::move(options), stop);
  }
  absl::StatusOr<std::string> secret = ResolveSecret(config.webhook.secret);
  if (!secret.ok()) return Annotate(secret.status(), "webhook secret");
  return WebhookSink::Create(
      {.sink_name = config.name,
       .url = config.webhook.url,
       .source = source,
       .secret = *std::move(secret),
       .max_attempts = config.webhook.max_attempts,
       .initial_backoff = config.webhook.initial_backoff,
       .max_backoff = config.webhook.max_backoff,
       .timeout = config.webhook.timeout,
       .max_concurrent_requests = config.webhook.max_concurrent_requests,
       .dead_letter_file = config.webhook.dead_letter_file},
      stop);
}

}  // namespace

absl::StatusOr<std::unique_ptr<RelayRunner>> RelayRunner::Create(
    const RelayConfig& config, RelayMetrics& metrics) {
  std::unique_ptr<RelayRunner> runner(new RelayRunner());
  for (const CustomerConfig& customer : config.customers) {
    const std::string where = absl::StrCat("customer ", customer.customer);
    absl::StatusOr<std::string> token =
        ResolveSecret(customer.token.empty() ? config.token : customer.token);
    if (!token.ok()) return Annotate(token.status(), where + " token");
    client::ClientOptions client_options{
        .address = config.address,
        .token = *std::move(token),
        .retry = client::RetryPolicy::Standard()};
    if (config.tls) {
      client_options.tls =
          client::ClientTlsOptions{.ca_file = config.tls_ca_file};
    }
    absl::StatusOr<std::unique_ptr<client::Client>> client =
        client::Client::Connect(client_options);
    if (!client.ok()) return Annotate(client.status(), where);
    for (const SinkConfig& sink_config : customer.sinks) {
      absl::StatusOr<std::unique_ptr<Sink>> sink =
          MakeSink(customer.customer, sink_config, &runner->stop_);
      if (!sink.ok()) {
        return Annotate(sink.status(),
                        absl::StrCat(where, " sink ", sink_config.name));
      }
      runner->loops_.push_back(std::make_unique<DeliveryLoop>(
          **client,
          DeliveryLoopOptions{
              .customer = customer.customer,
              .checkpoint = RelayConfig::CheckpointName(sink_config),
              .start_at_end = sink_config.start_at_end,
              .max_batch = sink_config.max_batch_events,
              .max_batch_bytes = sink_config.max_batch_bytes},
          *std::move(sink),
          metrics.ForSink(customer.customer, sink_config.name)));
    }
    runner->clients_.push_back(*std::move(client));
  }
  runner->results_.resize(runner->loops_.size());
  return runner;
}

RelayRunner::~RelayRunner() { Stop().IgnoreError(); }

void RelayRunner::Start() {
  running_ = loops_.size();
  for (std::size_t i = 0; i < loops_.size(); ++i) {
    threads_.emplace_back([this, i] {
      results_[i] = loops_[i]->Run(stop_);
      --running_;
    });
  }
}

absl::Status RelayRunner::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (!joined_) {
    for (std::thread& thread : threads_) thread.join();
    joined_ = true;
  }
  for (const absl::Status& result : results_) {
    if (!result.ok()) return result;
  }
  return absl::OkStatus();
}

}  // namespace evstore::relay
