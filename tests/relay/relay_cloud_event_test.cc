// The relay's encodings: CloudEvents JSON and Kafka headers of a recorded
// event, the webhook signature (checked against Python's hmac module), and
// backoff bounds.
#include <simdjson.h>

#include <catch2/catch.hpp>
#include <string>

#include "relay/backoff.h"
#include "relay/cloud_event.h"
#include "relay/webhook_signature.h"

namespace evstore::relay {
namespace {

v1::RecordedEvent SampleEvent() {
  v1::RecordedEvent event;
  event.set_customer("orsted-dk");
  event.set_stream("contract/DS000068/nominations");
  event.set_revision(7);
  event.set_position(42);
  event.set_id("0f8fad5b-d9cb-469f-a165-70867728950e");
  event.set_type("NominationResponseReceived");
  event.set_content_type("application/json");
  event.set_data(R"({"contract":"DS000068","note":"a \"quoted\" word"})");
  event.mutable_recorded_at()->set_seconds(1795798800);  // 2026-11-27 17:00 UTC
  event.mutable_recorded_at()->set_nanos(123456789);
  return event;
}

TEST_CASE("cloud event time is RFC 3339 UTC with microseconds") {
  CHECK(CloudEventTime(SampleEvent()) == "2026-11-27T17:00:00.123456Z");
}

TEST_CASE("structured JSON embeds JSON data and carries every attribute") {
  const std::string json = StructuredJson(SampleEvent(), "evstore://x");
  simdjson::dom::parser parser;
  simdjson::dom::element root = parser.parse(json);
  CHECK(std::string_view(root["specversion"]) == "1.0");
  CHECK(std::string_view(root["id"]) == "0f8fad5b-d9cb-469f-a165-70867728950e");
  CHECK(std::string_view(root["type"]) == "NominationResponseReceived");
  CHECK(std::string_view(root["source"]) == "evstore://x");
  CHECK(std::string_view(root["subject"]) == "contract/DS000068/nominations");
  CHECK(std::string_view(root["time"]) == "2026-11-27T17:00:00.123456Z");
  CHECK(std::string_view(root["datacontenttype"]) == "application/json");
  CHECK(std::string_view(root["data"]["note"]) == "a \"quoted\" word");
  CHECK(std::string_view(root["evstorecustomer"]) == "orsted-dk");
  CHECK(std::string_view(root["evstoreposition"]) == "42");
  CHECK(std::string_view(root["evstorerevision"]) == "7");
}

TEST_CASE("structured JSON base64-encodes data that is not JSON") {
  v1::RecordedEvent event = SampleEvent();
  event.set_content_type("application/octet-stream");
  event.set_data(std::string("\x00\x01\xff", 3));
  simdjson::dom::parser parser;
  const std::string json = StructuredJson(event, "evstore://x");
  simdjson::dom::element root = parser.parse(json);
  CHECK(std::string_view(root["data_base64"]) == "AAH/");
  CHECK(root["data"].error() == simdjson::NO_SUCH_FIELD);
}

TEST_CASE("kafka headers follow the CloudEvents Kafka binding") {
  const auto headers = KafkaHeaders(SampleEvent(), DefaultSource("orsted-dk"));
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"ce_specversion", "1.0"},
      {"ce_id", "0f8fad5b-d9cb-469f-a165-70867728950e"},
      {"ce_type", "NominationResponseReceived"},
      {"ce_source", "evstore://orsted-dk"},
      {"ce_subject", "contract/DS000068/nominations"},
      {"ce_time", "2026-11-27T17:00:00.123456Z"},
      {"content-type", "application/json"},
      {"evstore_customer", "orsted-dk"},
      {"evstore_position", "42"},
      {"evstore_revision", "7"},
  };
  CHECK(headers == expected);
}

TEST_CASE("webhook signature is HMAC-SHA256 over timestamp dot body") {
  // python3: hmac.new(b'whsec-test', b'1700000000.{"a":1}', sha256)
  const std::string expected =
      "v1=fed7a1a6c799a6367d73724d76bc70c16678908a32a879cd1ded6565ac05cece";
  CHECK(WebhookSignature("whsec-test", 1700000000, R"({"a":1})") == expected);
  CHECK(
      VerifyWebhookSignature("whsec-test", 1700000000, R"({"a":1})", expected));
  CHECK_FALSE(
      VerifyWebhookSignature("whsec-test", 1700000001, R"({"a":1})", expected));
  CHECK_FALSE(
      VerifyWebhookSignature("other", 1700000000, R"({"a":1})", expected));
  CHECK_FALSE(
      VerifyWebhookSignature("whsec-test", 1700000000, R"({"a":2})", expected));
}

TEST_CASE("backoff doubles up to the cap with jitter of 20 percent") {
  for (int i = 0; i < 50; ++i) {
    const absl::Duration first =
        BackoffWithJitter(1, absl::Milliseconds(100), absl::Seconds(1));
    CHECK(first >= absl::Milliseconds(80));
    CHECK(first < absl::Milliseconds(120));
    const absl::Duration third =
        BackoffWithJitter(3, absl::Milliseconds(100), absl::Seconds(1));
    CHECK(third >= absl::Milliseconds(320));
    CHECK(third < absl::Milliseconds(480));
    const absl::Duration capped =
        BackoffWithJitter(30, absl::Milliseconds(100), absl::Seconds(1));
    CHECK(capped >= absl::Milliseconds(800));
    CHECK(capped < absl::Milliseconds(1200));
  }
}

}  // namespace
}  // namespace evstore::relay
