#include "relay/relay_config.h"

#include <simdjson.h>

#include <cstdint>
#include <fstream>
#include <initializer_list>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "storage/absl_string_view.h"

namespace evstore::relay {
namespace {

using simdjson::dom::element;
using simdjson::dom::object;

// One JSON object of the configuration, read key by key; `path` names it in
// errors ("customers[0].sinks[1]").
class ConfigObject {
 public:
  ConfigObject(object value, std::string path)
      : value_(value), path_(std::move(path)) {}

  // INVALID_ARGUMENT for a key not in `allowed` (catches typos).
  absl::Status OnlyKeys(
      std::initializer_list<absl::string_view> allowed) const {
    for (const simdjson::dom::key_value_pair member : value_) {
      bool known = false;
      for (absl::string_view key : allowed) {
        known = known || key == AsAbsl(member.key);
      }
      if (!known) {
        return Error(absl::StrCat("unknown key \"", AsAbsl(member.key),
                                  "\" (allowed: ", absl::StrJoin(allowed, ", "),
                                  ")"));
      }
    }
    return absl::OkStatus();
  }

  bool Has(absl::string_view key) const {
    element ignored;
    return value_.at_key(AsStd(key)).get(ignored) == simdjson::SUCCESS;
  }

  absl::Status String(absl::string_view key, bool required,
                      std::string& out) const {
    element value;
    if (value_.at_key(AsStd(key)).get(value) != simdjson::SUCCESS) {
      return required ? Error(absl::StrCat("missing \"", key, "\""))
                      : absl::OkStatus();
    }
    std::string_view text;
    if (value.get_string().get(text) != simdjson::SUCCESS) {
      return Error(absl::StrCat("\"", key, "\" must be a string"));
    }
    out = std::string(text);
    return absl::OkStatus();
  }

  absl::Status Uint(absl::string_view key, std::uint64_t& out) const {
    element value;
    if (value_.at_key(AsStd(key)).get(value) != simdjson::SUCCESS) {
      return absl::OkStatus();
    }
    if (value.get_uint64().get(out) != simdjson::SUCCESS) {
      return Error(
          absl::StrCat("\"", key, "\" must be a non-negative integer"));
    }
    return absl::OkStatus();
  }

  absl::Status Bool(absl::string_view key, bool& out) const {
    element value;
    if (value_.at_key(AsStd(key)).get(value) != simdjson::SUCCESS) {
      return absl::OkStatus();
    }
    if (value.get_bool().get(out) != simdjson::SUCCESS) {
      return Error(absl::StrCat("\"", key, "\" must be true or false"));
    }
    return absl::OkStatus();
  }

  absl::Status Millis(absl::string_view key, absl::Duration& out) const {
    std::uint64_t millis = 0;
    if (!Has(key)) return absl::OkStatus();
    if (absl::Status status = Uint(key, millis); !status.ok()) return status;
    out = absl::Milliseconds(static_cast<std::int64_t>(millis));
    return absl::OkStatus();
  }

  // A secret given as "<prefix>_file" or "<prefix>_env".
  absl::Status Secret(absl::string_view prefix, SecretRef& out) const {
    if (absl::Status status =
            String(absl::StrCat(prefix, "_file"), false, out.file);
        !status.ok()) {
      return status;
    }
    return String(absl::StrCat(prefix, "_env"), false, out.env);
  }

  absl::Status Object(absl::string_view key, bool required,
                      std::optional<ConfigObject>& out) const {
    element value;
    if (value_.at_key(AsStd(key)).get(value) != simdjson::SUCCESS) {
      return required ? Error(absl::StrCat("missing \"", key, "\""))
                      : absl::OkStatus();
    }
    object inner;
    if (value.get_object().get(inner) != simdjson::SUCCESS) {
      return Error(absl::StrCat("\"", key, "\" must be an object"));
    }
    out.emplace(inner, absl::StrCat(path_, ".", key));
    return absl::OkStatus();
  }

  // The objects of the array `key`.
  absl::Status Objects(absl::string_view key,
                       std::vector<ConfigObject>& out) const {
    element value;
    simdjson::dom::array array;
    if (value_.at_key(AsStd(key)).get(value) != simdjson::SUCCESS ||
        value.get_array().get(array) != simdjson::SUCCESS) {
      return Error(absl::StrCat("\"", key, "\" must be an array of objects"));
    }
    for (element item : array) {
      object inner;
      if (item.get_object().get(inner) != simdjson::SUCCESS) {
        return Error(absl::StrCat("\"", key, "\" must be an array of objects"));
      }
      out.emplace_back(inner,
                       absl::StrCat(path_, ".", key, "[", out.size(), "]"));
    }
    return absl::OkStatus();
  }

  object value() const { return value_; }
  const std::string& path() const { return path_; }

  absl::Status Error(absl::string_view message) const {
    return absl::InvalidArgumentError(
        absl::StrCat("relay config ", path_, ": ", message));
  }

 private:
  object value_;
  std::string path_;
};

#define RETURN_IF_ERROR(expr)                                         \
  do {                                                                \
    if (absl::Status status_ = (expr); !status_.ok()) return status_; \
  } while (false)

// librdkafka properties that hold secrets (passwords, private keys, OAuth
// client secrets).
bool IsSecretProperty(std::string_view name) {
  return name.find("password") != std::string_view::npos ||
         name.find("secret") != std::string_view::npos ||
         name == "ssl.key.pem" || name == "ssl_key";
}

absl::Status ParseKafka(const ConfigObject& in, KafkaSinkConfig& out) {
  RETURN_IF_ERROR(in.String("topic", true, out.topic));
  RETURN_IF_ERROR(in.Uint("claim_check_bytes", out.claim_check_bytes));
  std::optional<ConfigObject> properties;
  RETURN_IF_ERROR(in.Object("properties", true, properties));
  for (const simdjson::dom::key_value_pair member : properties->value()) {
    std::string_view value;
    if (member.value.get_string().get(value) != simdjson::SUCCESS) {
      return properties->Error(
          absl::StrCat("\"", AsAbsl(member.key), "\" must be a string"));
    }
    if (member.key == "enable.idempotence" && value != "true") {
      return properties->Error("enable.idempotence must stay true");
    }
    if ((member.key == "acks" || member.key == "request.required.acks") &&
        value != "all" && value != "-1") {
      return properties->Error("acks must stay all");
    }
    if (IsSecretProperty(member.key)) {
      // The configuration file is no place for a secret (it is a ConfigMap,
      // it gets copied and logged); the value is not echoed.
      return properties->Error(absl::StrCat(
          "\"", AsAbsl(member.key),
          "\" is a secret: give it in \"secret_properties\" (file or env)"));
    }
    out.properties.emplace_back(std::string(member.key), std::string(value));
  }
  std::optional<ConfigObject> secrets;
  RETURN_IF_ERROR(in.Object("secret_properties", false, secrets));
  if (secrets.has_value()) {
    for (const simdjson::dom::key_value_pair member : secrets->value()) {
      object ref_object;
      if (member.value.get_object().get(ref_object) != simdjson::SUCCESS) {
        return secrets->Error(
            absl::StrCat("\"", AsAbsl(member.key),
                         "\" must be {\"file\": ...} or {\"env\": ...}"));
      }
      const ConfigObject ref(
          ref_object, absl::StrCat(secrets->path(), ".", AsAbsl(member.key)));
      RETURN_IF_ERROR(ref.OnlyKeys({"file", "env"}));
      SecretRef secret;
      RETURN_IF_ERROR(ref.String("file", false, secret.file));
      RETURN_IF_ERROR(ref.String("env", false, secret.env));
      if (secret.empty()) return ref.Error("needs \"file\" or \"env\"");
      out.secret_properties.emplace_back(std::string(member.key), secret);
    }
  }
  return absl::OkStatus();
}

absl::Status ParseWebhook(const ConfigObject& in, WebhookSinkConfig& out) {
  RETURN_IF_ERROR(in.String("url", true, out.url));
  if (!absl::StartsWithIgnoreCase(out.url, "https://") &&
      !absl::StartsWithIgnoreCase(out.url, "http://")) {
    return in.Error("\"url\" must start with https:// or http://");
  }
  RETURN_IF_ERROR(in.Secret("secret", out.secret));
  if (out.secret.empty()) {
    return in.Error("needs \"secret_file\" or \"secret_env\"");
  }
  std::uint64_t attempts = static_cast<std::uint64_t>(out.max_attempts);
  RETURN_IF_ERROR(in.Uint("max_attempts", attempts));
  if (attempts < 1 || attempts > 1000) {
    return in.Error("\"max_attempts\" must be 1 to 1000");
  }
  out.max_attempts = static_cast<int>(attempts);
  RETURN_IF_ERROR(in.Millis("initial_backoff_ms", out.initial_backoff));
  RETURN_IF_ERROR(in.Millis("max_backoff_ms", out.max_backoff));
  RETURN_IF_ERROR(in.Millis("timeout_ms", out.timeout));
  std::uint64_t concurrent =
      static_cast<std::uint64_t>(out.max_concurrent_requests);
  RETURN_IF_ERROR(in.Uint("max_concurrent_requests", concurrent));
  if (concurrent < 1 || concurrent > 256) {
    return in.Error("\"max_concurrent_requests\" must be 1 to 256");
  }
  out.max_concurrent_requests = static_cast<int>(concurrent);
  return in.String("dead_letter_file", true, out.dead_letter_file);
}

absl::Status ParseSink(const ConfigObject& in, SinkConfig& out) {
  RETURN_IF_ERROR(in.String("name", true, out.name));
  if (out.name.empty()) return in.Error("\"name\" must not be empty");
  std::string type;
  RETURN_IF_ERROR(in.String("type", true, type));
  RETURN_IF_ERROR(in.String("source", false, out.source));
  std::string start = "beginning";
  RETURN_IF_ERROR(in.String("start", false, start));
  if (start != "beginning" && start != "end") {
    return in.Error("\"start\" must be \"beginning\" or \"end\"");
  }
  out.start_at_end = start == "end";
  // A Kafka sink waits for the delivery reports of a whole batch: bigger
  // batches keep librdkafka's pipeline full (BENCHMARKS.md, "Relay").
  std::uint64_t events =
      type == "kafka" ? kKafkaMaxBatchEvents : out.max_batch_events;
  RETURN_IF_ERROR(in.Uint("max_batch_events", events));
  if (events < 1 || events > 100'000) {
    return in.Error("\"max_batch_events\" must be 1 to 100000");
  }
  out.max_batch_events = static_cast<std::size_t>(events);
  RETURN_IF_ERROR(in.Uint("max_batch_bytes", out.max_batch_bytes));
  if (out.max_batch_bytes < (std::uint64_t{64} << 10) ||
      out.max_batch_bytes > (std::uint64_t{1} << 30)) {
    return in.Error("\"max_batch_bytes\" must be 65536 to 1073741824");
  }
  if (type == "kafka") {
    out.type = SinkConfig::Type::kKafka;
    RETURN_IF_ERROR(
        in.OnlyKeys({"name", "type", "source", "start", "max_batch_events",
                     "max_batch_bytes", "topic", "claim_check_bytes",
                     "properties", "secret_properties"}));
    return ParseKafka(in, out.kafka);
  }
  if (type == "webhook") {
    out.type = SinkConfig::Type::kWebhook;
    RETURN_IF_ERROR(in.OnlyKeys(
        {"name", "type", "source", "start", "url", "secret_file", "secret_env",
         "max_attempts", "initial_backoff_ms", "max_backoff_ms", "timeout_ms",
         "max_concurrent_requests", "dead_letter_file"}));
    return ParseWebhook(in, out.webhook);
  }
  return in.Error("\"type\" must be \"kafka\" or \"webhook\"");
}

absl::Status ParseCustomer(const ConfigObject& in, CustomerConfig& out) {
  RETURN_IF_ERROR(
      in.OnlyKeys({"customer", "token_file", "token_env", "sinks"}));
  RETURN_IF_ERROR(in.String("customer", true, out.customer));
  RETURN_IF_ERROR(in.Secret("token", out.token));
  std::vector<ConfigObject> sinks;
  RETURN_IF_ERROR(in.Objects("sinks", sinks));
  absl::flat_hash_set<std::string> names;
  for (const ConfigObject& sink : sinks) {
    RETURN_IF_ERROR(ParseSink(sink, out.sinks.emplace_back()));
    if (!names.insert(out.sinks.back().name).second) {
      return sink.Error(
          absl::StrCat("duplicate sink name \"", out.sinks.back().name, "\""));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<RelayConfig> ParseRelayConfig(absl::string_view json) {
  simdjson::dom::parser parser;
  element root;
  if (const simdjson::error_code error =
          parser.parse(json.data(), json.size()).get(root)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "relay config: invalid JSON: ", simdjson::error_message(error)));
  }
  object root_object;
  if (root.get_object().get(root_object) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError("relay config: must be a JSON object");
  }
  const ConfigObject in(root_object, "$");
  RelayConfig config;
  RETURN_IF_ERROR(in.OnlyKeys({"server", "metrics_port", "customers"}));
  std::optional<ConfigObject> server;
  RETURN_IF_ERROR(in.Object("server", true, server));
  RETURN_IF_ERROR(server->OnlyKeys(
      {"address", "token_file", "token_env", "tls", "tls_ca_file"}));
  RETURN_IF_ERROR(server->String("address", true, config.address));
  RETURN_IF_ERROR(server->Secret("token", config.token));
  RETURN_IF_ERROR(server->String("tls_ca_file", false, config.tls_ca_file));
  config.tls = !config.tls_ca_file.empty();
  RETURN_IF_ERROR(server->Bool("tls", config.tls));
  if (!config.tls && !config.tls_ca_file.empty()) {
    return server->Error("\"tls\": false contradicts \"tls_ca_file\"");
  }
  std::uint64_t metrics_port = 0;
  RETURN_IF_ERROR(in.Uint("metrics_port", metrics_port));
  if (metrics_port > 65535) return in.Error("\"metrics_port\" is not a port");
  config.metrics_port = static_cast<int>(metrics_port);
  std::vector<ConfigObject> customers;
  RETURN_IF_ERROR(in.Objects("customers", customers));
  for (const ConfigObject& customer : customers) {
    RETURN_IF_ERROR(ParseCustomer(customer, config.customers.emplace_back()));
    if (config.customers.back().token.empty() && config.token.empty()) {
      return customer.Error(
          "no token: set token_file or token_env here or "
          "in \"server\"");
    }
  }
  return config;
}

absl::StatusOr<RelayConfig> LoadRelayConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read relay config ", path));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return ParseRelayConfig(text.str());
}

}  // namespace evstore::relay
