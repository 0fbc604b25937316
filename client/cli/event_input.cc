#include "client/cli/event_input.h"

#include <simdjson.h>

#include <optional>
#include <string_view>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "client/cli/json_text.h"
#include "client/cli/uuid.h"

namespace evstore::cli {
namespace {

// simdjson speaks std::string_view, Abseil (as packaged) its own type.
absl::string_view ToAbsl(std::string_view text) {
  return absl::string_view(text.data(), text.size());
}

constexpr absl::string_view kEnvelopeMembers =
    "stream, type, id, contentType, data, dataEncoding, metadata";

bool IsEnvelopeMember(absl::string_view key) {
  return key == "stream" || key == "type" || key == "id" ||
         key == "contentType" || key == "content_type" || key == "data" ||
         key == "dataEncoding" || key == "data_encoding" || key == "metadata";
}

// The members of a recorded event that an envelope does not have.
bool IsRecordedOnlyMember(absl::string_view key) {
  return key == "customer" || key == "revision" || key == "position" ||
         key == "recordedAt";
}

// Auto-detection: an object with "data" and only envelope members.
bool LooksLikeEnvelope(simdjson::dom::element root) {
  simdjson::dom::object object;
  if (root.get_object().get(object)) return false;
  bool has_data = false;
  for (const simdjson::dom::key_value_pair member : object) {
    if (!IsEnvelopeMember(ToAbsl(member.key))) return false;
    if (member.key == "data") has_data = true;
  }
  return has_data;
}

absl::StatusOr<std::string> StringMember(absl::string_view key,
                                         simdjson::dom::element value) {
  std::string_view text;
  if (value.get_string().get(text)) {
    return absl::InvalidArgumentError(
        absl::StrCat("member \"", key, "\" must be a string"));
  }
  return std::string(text);
}

void ApplyMetadata(
    const std::vector<std::pair<std::string, std::string>>& metadata,
    v1::ProposedEvent& event) {
  for (const auto& [key, value] : metadata) {
    (*event.mutable_metadata())[key] = value;
  }
}

// The exact text of the envelope's "data" value. The DOM does not keep
// source text, so the (already validated) line is walked once more with the
// on-demand API, which hands out the raw bytes of a value.
absl::StatusOr<std::string> RawDataText(absl::string_view line) {
  thread_local simdjson::ondemand::parser parser;
  const simdjson::padded_string padded(line.data(), line.size());
  simdjson::ondemand::document document;
  simdjson::ondemand::value value;
  std::string_view raw;
  if (parser.iterate(padded).get(document) ||
      document.find_field_unordered("data").get(value) ||
      simdjson::to_json_string(value).get(raw)) {
    return absl::InvalidArgumentError(
        "cannot locate the text of member \"data\"");
  }
  return std::string(raw);
}

}  // namespace

absl::StatusOr<LineFormat> ParseLineFormat(absl::string_view text) {
  if (text == "auto") return LineFormat::kAuto;
  if (text == "envelope") return LineFormat::kEnvelope;
  if (text == "payload") return LineFormat::kPayload;
  return absl::InvalidArgumentError(absl::StrCat(
      "--stdin-format: '", text, "' is not one of auto, envelope, payload"));
}

absl::StatusOr<std::pair<std::string, std::string>> ParseMetadataFlag(
    absl::string_view text) {
  const std::size_t equals = text.find('=');
  if (equals == absl::string_view::npos || equals == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--metadata: '", text, "' is not key=value"));
  }
  return std::make_pair(std::string(text.substr(0, equals)),
                        std::string(text.substr(equals + 1)));
}

absl::StatusOr<v1::ProposedEvent> EventFromArgument(
    absl::string_view data, absl::string_view id,
    const EventDefaults& defaults) {
  if (defaults.type.empty()) {
    return absl::InvalidArgumentError("--type is required with DATA arguments");
  }
  v1::ProposedEvent event;
  event.set_id(id.empty() ? NewEventId() : std::string(id));
  event.set_type(defaults.type);
  event.set_content_type(defaults.content_type);
  if (IsJsonContentType(defaults.content_type)) {
    absl::StatusOr<std::string> json = MinifyJson(data);
    if (!json.ok()) return json.status();
    event.set_data(*std::move(json));
  } else {
    event.set_data(std::string(data));
  }
  ApplyMetadata(defaults.metadata, event);
  return event;
}

absl::StatusOr<InputEvent> EventLineParser::Parse(
    absl::string_view line) const {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (const simdjson::error_code error =
          parser.parse(line.data(), line.size()).get(root)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid JSON: ", simdjson::error_message(error)));
  }
  bool envelope = false;
  switch (format_) {
    case LineFormat::kAuto:
      envelope = LooksLikeEnvelope(root);
      break;
    case LineFormat::kEnvelope:
    case LineFormat::kRecorded:
      if (!root.is_object()) {
        return absl::InvalidArgumentError("an event line must be an object");
      }
      envelope = true;
      break;
    case LineFormat::kPayload:
      break;
  }

  InputEvent input;
  input.stream = defaults_.stream;
  v1::ProposedEvent& event = input.event;
  event.set_type(defaults_.type);
  event.set_content_type(defaults_.content_type);
  ApplyMetadata(defaults_.metadata, event);

  if (!envelope) {
    if (input.stream.empty()) {
      return absl::InvalidArgumentError("a payload line needs --stream");
    }
    if (event.type().empty()) {
      return absl::InvalidArgumentError("a payload line needs --type");
    }
    absl::StatusOr<std::string> json = MinifyJson(line);
    if (!json.ok()) return json.status();
    event.set_id(NewEventId());
    event.set_data(*std::move(json));
    return input;
  }

  std::optional<simdjson::dom::element> data;
  std::string data_encoding;
  simdjson::dom::object object;
  if (root.get_object().get(object)) {
    return absl::InvalidArgumentError("an event line must be an object");
  }
  for (const simdjson::dom::key_value_pair member : object) {
    const absl::string_view key = ToAbsl(member.key);
    if (key == "data") {
      data = member.value;
      continue;
    }
    if (key == "metadata") {
      simdjson::dom::object metadata;
      if (member.value.get_object().get(metadata)) {
        return absl::InvalidArgumentError(
            "member \"metadata\" must be an object of strings");
      }
      for (const simdjson::dom::key_value_pair entry : metadata) {
        std::string_view value;
        if (entry.value.get_string().get(value)) {
          return absl::InvalidArgumentError(absl::StrCat(
              "metadata \"", ToAbsl(entry.key), "\" must be a string"));
        }
        (*event.mutable_metadata())[std::string(entry.key)] =
            std::string(value);
      }
      continue;
    }
    if (format_ == LineFormat::kRecorded && IsRecordedOnlyMember(key)) {
      continue;
    }
    if (!IsEnvelopeMember(key)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown member \"", key, "\" (allowed: ", kEnvelopeMembers, ")"));
    }
    absl::StatusOr<std::string> text = StringMember(key, member.value);
    if (!text.ok()) return text.status();
    if (key == "stream") {
      input.stream = *std::move(text);
    } else if (key == "type") {
      event.set_type(*std::move(text));
    } else if (key == "id") {
      event.set_id(*std::move(text));
    } else if (key == "contentType" || key == "content_type") {
      event.set_content_type(*std::move(text));
    } else {
      data_encoding = *std::move(text);
    }
  }

  if (!data.has_value()) {
    return absl::InvalidArgumentError("an event object needs \"data\"");
  }
  if (input.stream.empty()) {
    return absl::InvalidArgumentError(
        "no stream: give \"stream\" in the line or --stream");
  }
  if (event.type().empty()) {
    return absl::InvalidArgumentError(
        "no type: give \"type\" in the line or --type");
  }
  if (event.id().empty()) {
    if (format_ == LineFormat::kRecorded) {
      return absl::InvalidArgumentError(
          "no id: an imported event needs its \"id\" (import is idempotent "
          "by ids)");
    }
    event.set_id(NewEventId());
  }

  if (!data_encoding.empty()) {
    if (data_encoding != "base64") {
      return absl::InvalidArgumentError(absl::StrCat(
          "dataEncoding '", data_encoding, "' is not supported (only base64)"));
    }
    absl::StatusOr<std::string> text = StringMember("data", *data);
    if (!text.ok()) return text.status();
    std::string bytes;
    if (!absl::Base64Unescape(*text, &bytes)) {
      return absl::InvalidArgumentError("member \"data\" is not valid base64");
    }
    event.set_data(std::move(bytes));
  } else if (IsJsonContentType(event.content_type())) {
    absl::StatusOr<std::string> raw = RawDataText(line);
    if (!raw.ok()) return raw.status();
    absl::StatusOr<std::string> json = MinifyJson(*raw);
    if (!json.ok()) return json.status();
    event.set_data(*std::move(json));
  } else {
    absl::StatusOr<std::string> text = StringMember("data", *data);
    if (!text.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("member \"data\" must be a string for content type ",
                       event.content_type()));
    }
    event.set_data(*std::move(text));
  }
  return input;
}

}  // namespace evstore::cli
