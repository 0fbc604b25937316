// The relay's configuration: which customers' feeds go to which sinks. The
// JSON format is documented in docs/relay.md ("Configuration"). Parsing only
// checks the format; secrets are resolved later (relay/secret.h), so that a
// parsed configuration holds no secret values.
#ifndef EVSTORE_RELAY_RELAY_CONFIG_H_
#define EVSTORE_RELAY_RELAY_CONFIG_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "relay/secret.h"

namespace evstore::relay {

struct KafkaSinkConfig {
  std::string topic = {};
  // Events whose data is larger than this are published as a claim-check
  // notification without data (docs/relay.md, "Claim check").
  std::uint64_t claim_check_bytes = 900'000;
  // librdkafka properties, in file order (enable.idempotence and acks are
  // forced by the sink).
  std::vector<std::pair<std::string, std::string>> properties = {};
  // librdkafka properties whose values are secrets.
  std::vector<std::pair<std::string, SecretRef>> secret_properties = {};
};

struct WebhookSinkConfig {
  std::string url = {};
  // The HMAC-SHA256 signing key.
  SecretRef secret = {};
  // Attempts per event before it is dead-lettered (>= 1).
  int max_attempts = 8;
  absl::Duration initial_backoff = absl::Milliseconds(200);
  absl::Duration max_backoff = absl::Seconds(30);
  // The timeout of one HTTP request.
  absl::Duration timeout = absl::Seconds(10);
  // Requests in flight at once, each to a different stream (1 to 256).
  int max_concurrent_requests = 8;
  // Dead-letter records are appended here as JSON lines (required).
  std::string dead_letter_file = {};
};

// The default max_batch_events of a Kafka sink.
inline constexpr std::size_t kKafkaMaxBatchEvents = 5000;

struct SinkConfig {
  enum class Type { kKafka, kWebhook };
  // Unique per customer; the checkpoint is "relay:<name>".
  std::string name = {};
  Type type = Type::kKafka;
  // The CloudEvents `source`; empty: "evstore://<customer>".
  std::string source = {};
  // A sink without a checkpoint starts at the head instead of the beginning.
  bool start_at_end = false;
  // The most events (1 to 100,000; default 500, kKafkaMaxBatchEvents for a
  // Kafka sink) and bytes of event data (64 KiB to 1 GiB) handed to the
  // sink at once (relay/delivery_loop.h).
  std::size_t max_batch_events = 500;
  std::uint64_t max_batch_bytes = std::uint64_t{16} << 20;
  KafkaSinkConfig kafka = {};      // Type::kKafka.
  WebhookSinkConfig webhook = {};  // Type::kWebhook.
};

struct CustomerConfig {
  std::string customer = {};
  // Overrides RelayConfig::token when set.
  SecretRef token = {};
  std::vector<SinkConfig> sinks = {};
};

struct RelayConfig {
  // The evstored address (gRPC target syntax).
  std::string address = {};
  // The default token (consumer of the customer, or admin).
  SecretRef token = {};
  // TLS to evstored ("tls": true, or implied by tls_ca_file); with
  // tls_ca_file the server's certificate must be signed by that CA, without
  // it by one of the system's roots. false: plaintext.
  bool tls = false;
  std::string tls_ca_file = {};
  // The Prometheus endpoint's port (0: none).
  int metrics_port = 0;
  std::vector<CustomerConfig> customers = {};

  // The checkpoint name of a sink.
  static std::string CheckpointName(const SinkConfig& sink) {
    return "relay:" + sink.name;
  }
};

// Parses the JSON text of a configuration. INVALID_ARGUMENT names the first
// problem (invalid JSON, an unknown or missing key, a wrong type, a
// duplicate sink name, a forbidden Kafka property).
absl::StatusOr<RelayConfig> ParseRelayConfig(absl::string_view json);

// Reads and parses the file at `path`.
absl::StatusOr<RelayConfig> LoadRelayConfig(const std::string& path);

}  // namespace evstore::relay

#endif  // EVSTORE_RELAY_RELAY_CONFIG_H_
