#include "client/cli/event_json.h"

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "client/cli/json_object.h"
#include "client/cli/json_text.h"

namespace evstore::cli {
namespace {

// Metadata with sorted keys, so that equal events print identically.
std::string MetadataJson(
    const google::protobuf::Map<std::string, std::string>& metadata) {
  std::vector<std::pair<absl::string_view, absl::string_view>> entries(
      metadata.begin(), metadata.end());
  std::sort(entries.begin(), entries.end());
  JsonObject object;
  for (const auto& [key, value] : entries) object.String(key, value);
  return std::move(object).Finish();
}

}  // namespace

std::string RecordedEventToJson(const v1::RecordedEvent& event) {
  JsonObject object;
  object.String("customer", event.customer())
      .String("stream", event.stream())
      .Number("revision", event.revision())
      .Number("position", event.position())
      .String("id", event.id())
      .String("type", event.type())
      .String("contentType", event.content_type());
  if (!event.data().empty()) {
    std::optional<std::string> json;
    if (IsJsonContentType(event.content_type())) {
      absl::StatusOr<std::string> minified = MinifyJson(event.data());
      if (minified.ok()) json = *std::move(minified);
    }
    if (json.has_value()) {
      object.Raw("data", *json);
    } else {
      // Not JSON (or, against the contract, invalid JSON under a JSON content
      // type): shown losslessly as base64.
      object.String("data", absl::Base64Escape(event.data()))
          .String("dataEncoding", "base64");
    }
  }
  object.Raw("metadata", MetadataJson(event.metadata()));
  if (event.has_recorded_at()) {
    object.String("recordedAt", TimestampText(event.recorded_at()));
  }
  return std::move(object).Finish();
}

std::string AppendResponseToJson(const v1::AppendResponse& response) {
  std::string streams = "[";
  for (const v1::StreamAppendResult& result : response.streams()) {
    if (streams.size() > 1) streams += ',';
    JsonObject stream;
    stream.String("stream", result.stream())
        .Number("firstRevision", result.first_revision())
        .Number("lastRevision", result.last_revision());
    streams += std::move(stream).Finish();
  }
  streams += ']';
  JsonObject object;
  object.Number("firstPosition", response.first_position())
      .Number("lastPosition", response.last_position())
      .Raw("streams", streams)
      .Bool("duplicate", response.duplicate());
  if (response.has_recorded_at()) {
    object.String("recordedAt", TimestampText(response.recorded_at()));
  }
  return std::move(object).Finish();
}

std::string CaughtUpToJson(const v1::CaughtUp& caught_up) {
  JsonObject position;
  position.Number("position", caught_up.position());
  JsonObject object;
  object.Raw("caughtUp", std::move(position).Finish());
  return std::move(object).Finish();
}

std::string HeartbeatToJson(const v1::Heartbeat& heartbeat) {
  JsonObject position;
  position.Number("position", heartbeat.position());
  JsonObject object;
  object.Raw("heartbeat", std::move(position).Finish());
  return std::move(object).Finish();
}

}  // namespace evstore::cli
