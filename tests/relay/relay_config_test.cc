// The relay's configuration format (docs/relay.md) and its secrets: the
// documented example parses, mistakes are named, forced Kafka properties
// cannot be weakened, and secrets resolve from files and the environment
// without appearing in errors.
#include "relay/relay_config.h"

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "relay/secret.h"

namespace evstore::relay {
namespace {

using Catch::Matchers::Contains;

constexpr char kExample[] = R"({
  "server": {"address": "evstore.example.net:50051",
             "token_file": "/run/secrets/evstore-relay-token"},
  "metrics_port": 9465,
  "customers": [{
    "customer": "orsted-dk",
    "token_env": "EVSTORE_TOKEN_ORSTED",
    "sinks": [
      {"name": "eventhub", "type": "kafka", "topic": "evstore-feed",
       "claim_check_bytes": 900000,
       "properties": {"bootstrap.servers": "ns.servicebus.windows.net:9093",
                      "security.protocol": "SASL_SSL",
                      "sasl.mechanisms": "PLAIN",
                      "sasl.username": "$ConnectionString"},
       "secret_properties": {"sasl.password": {"env": "EVENTHUB_CONN"}}},
      {"name": "erp-hook", "type": "webhook", "url": "https://erp/hook",
       "secret_file": "/run/secrets/hmac", "max_attempts": 4,
       "initial_backoff_ms": 100, "max_backoff_ms": 5000, "timeout_ms": 2000,
       "dead_letter_file": "/var/lib/relay/dlq.jsonl", "start": "end"}
    ]}]
})";

TEST_CASE("the documented example configuration parses") {
  absl::StatusOr<RelayConfig> config = ParseRelayConfig(kExample);
  REQUIRE(config.ok());
  CHECK(config->address == "evstore.example.net:50051");
  CHECK(config->token.file == "/run/secrets/evstore-relay-token");
  CHECK(config->metrics_port == 9465);
  REQUIRE(config->customers.size() == 1);
  const CustomerConfig& customer = config->customers[0];
  CHECK(customer.customer == "orsted-dk");
  CHECK(customer.token.env == "EVSTORE_TOKEN_ORSTED");
  REQUIRE(customer.sinks.size() == 2);
  const SinkConfig& kafka = customer.sinks[0];
  CHECK(kafka.type == SinkConfig::Type::kKafka);
  CHECK(RelayConfig::CheckpointName(kafka) == "relay:eventhub");
  CHECK(kafka.kafka.topic == "evstore-feed");
  CHECK(kafka.kafka.properties.size() == 4);
  CHECK(kafka.kafka.properties[3].second == "$ConnectionString");
  REQUIRE(kafka.kafka.secret_properties.size() == 1);
  CHECK(kafka.kafka.secret_properties[0].first == "sasl.password");
  CHECK(kafka.kafka.secret_properties[0].second.env == "EVENTHUB_CONN");
  CHECK_FALSE(kafka.start_at_end);
  const SinkConfig& hook = customer.sinks[1];
  CHECK(hook.type == SinkConfig::Type::kWebhook);
  CHECK(hook.webhook.url == "https://erp/hook");
  CHECK(hook.webhook.secret.file == "/run/secrets/hmac");
  CHECK(hook.webhook.max_attempts == 4);
  CHECK(hook.webhook.initial_backoff == absl::Milliseconds(100));
  CHECK(hook.webhook.max_backoff == absl::Seconds(5));
  CHECK(hook.webhook.timeout == absl::Seconds(2));
  CHECK(hook.start_at_end);
  CHECK(hook.max_batch_events == 500);  // The defaults.
  CHECK(kafka.max_batch_events == 5000);
  CHECK(hook.max_batch_bytes == 16u << 20);
  CHECK_FALSE(config->tls);  // No "tls", no tls_ca_file: plaintext.
}

TEST_CASE("tls with the system roots and batch limits are configurable") {
  absl::StatusOr<RelayConfig> config = ParseRelayConfig(
      R"({"server": {"address": "evstore.example.net:443", "token_env": "T",
                     "tls": true},
          "customers": [{"customer": "c", "sinks": [
            {"name": "k", "type": "kafka", "topic": "t", "properties": {},
             "max_batch_events": 5000, "max_batch_bytes": 1048576}]}]})");
  REQUIRE(config.ok());
  CHECK(config->tls);
  CHECK(config->tls_ca_file.empty());
  CHECK(config->customers[0].sinks[0].max_batch_events == 5000);
  CHECK(config->customers[0].sinks[0].max_batch_bytes == 1048576);
  absl::StatusOr<RelayConfig> with_ca = ParseRelayConfig(
      R"({"server": {"address": "a", "token_env": "T", "tls_ca_file": "ca"},
          "customers": []})");
  REQUIRE(with_ca.ok());
  CHECK(with_ca->tls);
}

TEST_CASE("configuration mistakes are named") {
  const auto error = [](const std::string& json) {
    absl::StatusOr<RelayConfig> config = ParseRelayConfig(json);
    REQUIRE_FALSE(config.ok());
    CHECK(config.status().code() == absl::StatusCode::kInvalidArgument);
    return std::string(config.status().message());
  };
  CHECK_THAT(error("{"), Contains("invalid JSON"));
  CHECK_THAT(error(R"({"customers": []})"), Contains("missing \"server\""));
  CHECK_THAT(error(R"({"server": {"address": "a", "token_env": "T",
                     "tokn": 1}, "customers": []})"),
             Contains("unknown key \"tokn\""));
  CHECK_THAT(error(R"({"server": {"address": "a"}, "customers": [
                     {"customer": "c", "sinks": []}]})"),
             Contains("no token"));
  const std::string sink_prefix =
      R"({"server": {"address": "a", "token_env": "T"}, "customers": [
          {"customer": "c", "sinks": [)";
  CHECK_THAT(error(sink_prefix + R"({"name": "k", "type": "kafka",
      "topic": "t", "properties": {"acks": "1"}}]}]})"),
             Contains("acks must stay all"));
  CHECK_THAT(error(sink_prefix + R"({"name": "k", "type": "kafka",
      "topic": "t", "properties": {"enable.idempotence": "false"}}]}]})"),
             Contains("enable.idempotence must stay true"));
  CHECK_THAT(error(sink_prefix + R"({"name": "h", "type": "webhook",
      "url": "http://u", "dead_letter_file": "d"}]}]})"),
             Contains("secret_file"));
  CHECK_THAT(error(sink_prefix + R"({"name": "h", "type": "webhook",
      "url": "http://u", "secret_env": "S", "dead_letter_file": "d"},
      {"name": "h", "type": "webhook", "url": "http://u", "secret_env": "S",
       "dead_letter_file": "d"}]}]})"),
             Contains("duplicate sink name \"h\""));
  CHECK_THAT(error(sink_prefix + R"({"name": "h", "type": "webhook",
      "url": "file:///etc/passwd", "secret_env": "S",
      "dead_letter_file": "d"}]}]})"),
             Contains("must start with https:// or http://"));
  const std::string leaked = error(sink_prefix + R"({"name": "k",
      "type": "kafka", "topic": "t",
      "properties": {"sasl.password": "Endpoint=sb://x;SharedAccessKey=k1"}}]}]})");
  CHECK_THAT(leaked, Contains("\"sasl.password\" is a secret"));
  CHECK_THAT(leaked, !Contains("SharedAccessKey"));
  CHECK_THAT(error(sink_prefix + R"({"name": "k", "type": "kafka",
      "topic": "t", "properties": {"ssl.key.password": "p"}}]}]})"),
             Contains("secret_properties"));
  CHECK_THAT(error(sink_prefix + R"({"name": "k", "type": "kafka",
      "topic": "t", "properties": {}, "max_batch_events": 0}]}]})"),
             Contains("\"max_batch_events\" must be 1 to 100000"));
  CHECK_THAT(error(sink_prefix + R"({"name": "k", "type": "kafka",
      "topic": "t", "properties": {}, "max_batch_bytes": 100}]}]})"),
             Contains("\"max_batch_bytes\" must be"));
  CHECK_THAT(error(R"({"server": {"address": "a", "token_env": "T",
                     "tls": "yes"}, "customers": []})"),
             Contains("\"tls\" must be true or false"));
  CHECK_THAT(error(R"({"server": {"address": "a", "token_env": "T",
                     "tls": false, "tls_ca_file": "ca.pem"},
                     "customers": []})"),
             Contains("contradicts"));
  CHECK_THAT(error(sink_prefix + R"({"name": "x", "type": "smtp"}]}]})"),
             Contains("\"type\" must be"));
}

TEST_CASE("secrets resolve from files and the environment, never echoed") {
  const std::string path =
      std::string(std::getenv("TMPDIR") != nullptr ? std::getenv("TMPDIR")
                                                   : "/tmp") +
      "/relay_secret_test." + std::to_string(::getpid());
  std::ofstream(path) << "s3cr3t-from-file\r\n";
  absl::StatusOr<std::string> from_file = ResolveSecret({.file = path});
  REQUIRE(from_file.ok());
  CHECK(*from_file == "s3cr3t-from-file");
  std::remove(path.c_str());

  ::setenv("RELAY_TEST_SECRET", "s3cr3t-from-env\n", 1);
  absl::StatusOr<std::string> from_env =
      ResolveSecret({.env = "RELAY_TEST_SECRET"});
  REQUIRE(from_env.ok());
  CHECK(*from_env == "s3cr3t-from-env");

  absl::StatusOr<std::string> missing =
      ResolveSecret({.env = "RELAY_TEST_SECRET_UNSET"});
  CHECK(missing.status().code() == absl::StatusCode::kNotFound);
  CHECK_THAT(std::string(missing.status().message()),
             Contains("RELAY_TEST_SECRET_UNSET"));
  absl::StatusOr<std::string> both =
      ResolveSecret({.file = path, .env = "RELAY_TEST_SECRET"});
  CHECK(both.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(both.status().message()),
             !Contains("s3cr3t-from-env"));
}

}  // namespace
}  // namespace evstore::relay
