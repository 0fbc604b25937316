#include "relay/cloud_event.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "client/cli/json_text.h"

namespace evstore::relay {

std::string DefaultSource(absl::string_view customer) {
  return absl::StrCat("evstore://", customer);
}

std::string CloudEventTime(const v1::RecordedEvent& event) {
  const absl::Time time = absl::FromUnixSeconds(event.recorded_at().seconds()) +
                          absl::Nanoseconds(event.recorded_at().nanos());
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", time, absl::UTCTimeZone());
}

std::vector<std::pair<std::string, std::string>> KafkaHeaders(
    const v1::RecordedEvent& event, absl::string_view source) {
  return {
      {"ce_specversion", "1.0"},
      {"ce_id", event.id()},
      {"ce_type", event.type()},
      {"ce_source", std::string(source)},
      {"ce_subject", event.stream()},
      {"ce_time", CloudEventTime(event)},
      {"content-type", event.content_type()},
      {"evstore_customer", event.customer()},
      {"evstore_position", absl::StrCat(event.position())},
      {"evstore_revision", absl::StrCat(event.revision())},
  };
}

std::string StructuredJson(const v1::RecordedEvent& event,
                           absl::string_view source) {
  std::string out = R"({"specversion":"1.0","id":)";
  cli::AppendJsonString(out, event.id());
  out += R"(,"type":)";
  cli::AppendJsonString(out, event.type());
  out += R"(,"source":)";
  cli::AppendJsonString(out, source);
  out += R"(,"subject":)";
  cli::AppendJsonString(out, event.stream());
  out += R"(,"time":)";
  cli::AppendJsonString(out, CloudEventTime(event));
  out += R"(,"datacontenttype":)";
  cli::AppendJsonString(out, event.content_type());
  if (cli::IsJsonContentType(event.content_type()) && !event.data().empty()) {
    // The store validated JSON payloads on append; embed them unchanged.
    absl::StrAppend(&out, R"(,"data":)", event.data());
  } else if (!event.data().empty()) {
    out += R"(,"data_base64":)";
    cli::AppendJsonString(out, absl::Base64Escape(event.data()));
  }
  out += R"(,"evstorecustomer":)";
  cli::AppendJsonString(out, event.customer());
  absl::StrAppend(&out, R"(,"evstoreposition":")", event.position(),
                  R"(","evstorerevision":")", event.revision(), "\"}");
  return out;
}

}  // namespace evstore::relay
