#include "server/request_validation.h"

#include <algorithm>
#include <string_view>
#include <type_traits>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "server/checkpoint_requests.h"
#include "server/json_content.h"
#include "storage/names.h"

namespace evstore::server {
namespace {

// At most this many bytes of a rejected value are quoted in an error.
constexpr size_t kMaxQuotedBytes = 64;

// The value as a C-escaped, double-quoted, possibly shortened string literal.
std::string Quote(absl::string_view value) {
  std::string quoted = absl::StrCat(
      "\"", absl::CHexEscape(value.substr(0, kMaxQuotedBytes)), "\"");
  if (value.size() > kMaxQuotedBytes) absl::StrAppend(&quoted, "...");
  return quoted;
}

absl::StatusOr<EventId> ParseEventId(const std::string& text,
                                     const std::string& field) {
  std::optional<EventId> id = EventId::Parse(text);
  if (id.has_value()) return *id;
  // Parse rejects the nil UUID too; say so rather than "not a UUID".
  if (text == "00000000-0000-0000-0000-000000000000") {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": the nil UUID cannot identify an event"));
  }
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": ", Quote(text),
                   " is not a UUID (expected 8-4-4-4-12 hex digits)"));
}

absl::StatusOr<ExpectedRevision> ToExpectedRevision(
    const v1::StreamWrite& write, const std::string& write_field) {
  switch (write.expected_case()) {
    case v1::StreamWrite::EXPECTED_NOT_SET:
      return ExpectedRevision::Any();
    case v1::StreamWrite::kExpectedRevision:
      return ExpectedRevision::Exact(StreamRevision(write.expected_revision()));
    case v1::StreamWrite::kExpectedState:
      switch (write.expected_state()) {
        case v1::EXPECTED_STATE_UNSPECIFIED:
        case v1::EXPECTED_STATE_ANY:
          return ExpectedRevision::Any();
        case v1::EXPECTED_STATE_NO_STREAM:
          return ExpectedRevision::NoStream();
        case v1::EXPECTED_STATE_STREAM_EXISTS:
          return ExpectedRevision::StreamExists();
        default:
          break;
      }
      return absl::InvalidArgumentError(
          absl::StrCat(write_field, ".expected_state: unknown value ",
                       static_cast<int>(write.expected_state())));
  }
  return absl::InvalidArgumentError(
      absl::StrCat(write_field, ": unknown kind of expected revision"));
}

// Access to a request's parts that copies from a const request and moves from
// a mutable one, so that one conversion serves both ToAppendBatch overloads.
std::string TakeData(const v1::ProposedEvent& event) { return event.data(); }
std::string TakeData(v1::ProposedEvent& event) {
  return std::move(*event.mutable_data());
}
const v1::ProposedEvent& EventAt(const v1::AppendRequest& request, int w,
                                 int e) {
  return request.writes(w).events(e);
}
v1::ProposedEvent& EventAt(v1::AppendRequest& request, int w, int e) {
  return *request.mutable_writes(w)->mutable_events(e);
}

// Checks the limits that concern the request as a whole, before looking at
// any event in detail. The error names the first event over the limit.
absl::Status CheckAppendTotals(const v1::AppendRequest& request,
                               const RequestLimits& limits) {
  size_t events = 0;
  size_t bytes = 0;
  std::string first_over_events;
  std::string first_over_bytes;
  for (int w = 0; w < request.writes_size(); ++w) {
    const v1::StreamWrite& write = request.writes(w);
    for (int e = 0; e < write.events_size(); ++e) {
      const v1::ProposedEvent& event = write.events(e);
      ++events;
      bytes += event.data().size() + event.type().size();
      for (const auto& [key, value] : event.metadata()) {
        bytes += key.size() + value.size();
      }
      if (events > limits.max_append_events && first_over_events.empty()) {
        first_over_events = absl::StrCat("writes[", w, "].events[", e, "]");
      }
      if (bytes > limits.max_append_bytes && first_over_bytes.empty()) {
        first_over_bytes = absl::StrCat("writes[", w, "].events[", e, "]");
      }
    }
  }
  if (events > limits.max_append_events) {
    return absl::ResourceExhaustedError(
        absl::StrCat("writes: the append has ", events, " events; at most ",
                     limits.max_append_events, " are allowed per append (",
                     first_over_events, " is the first over the limit)"));
  }
  if (bytes > limits.max_append_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("writes: the append carries ", bytes,
                     " bytes of event data, types and metadata; at most ",
                     limits.max_append_bytes, " are allowed per append (",
                     first_over_bytes, " is the first over the limit)"));
  }
  return absl::OkStatus();
}

// Checks one event (all but id uniqueness) and converts it; `data` is taken
// by the caller afterwards, so it is left empty here.
absl::StatusOr<ProposedEvent> ConvertEventWithoutData(
    const v1::ProposedEvent& event, const std::string& field,
    const RequestLimits& limits) {
  ProposedEvent out;
  absl::StatusOr<EventId> id = ParseEventId(event.id(), field + ".id");
  if (!id.ok()) return id.status();
  out.id = *id;

  absl::Status status = ValidateEventType(event.type(), field + ".type");
  if (!status.ok()) return status;
  out.type = event.type();

  if (event.content_type().empty()) {
    out.content_type = std::string(kDefaultContentType);
  } else {
    // The text rules of event types (1 to 256 bytes of UTF-8 without control
    // characters) are exactly the ones a content type needs.
    static_assert(kMaxContentTypeBytes == kMaxEventTypeBytes);
    status = ValidateEventType(event.content_type(), field + ".content_type");
    if (!status.ok()) return status;
    out.content_type = event.content_type();
  }

  if (event.data().size() > limits.max_event_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat(field, ".data: ", event.data().size(), " bytes; at most ",
                     limits.max_event_bytes, " are allowed per event"));
  }

  const auto& metadata = event.metadata();
  if (static_cast<size_t>(metadata.size()) > limits.max_metadata_entries) {
    return absl::ResourceExhaustedError(absl::StrCat(
        field, ".metadata: ", metadata.size(), " entries; at most ",
        limits.max_metadata_entries, " are allowed per event"));
  }
  size_t metadata_bytes = 0;
  out.metadata.reserve(metadata.size());
  for (const auto& [key, value] : metadata) {
    if (key.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".metadata: a key is empty"));
    }
    metadata_bytes += key.size() + value.size();
    out.metadata.emplace_back(key, value);
  }
  if (metadata_bytes > limits.max_metadata_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat(field, ".metadata: ", metadata_bytes,
                     " bytes of keys and values; at most ",
                     limits.max_metadata_bytes, " are allowed per event"));
  }
  std::sort(out.metadata.begin(), out.metadata.end());

  // Last: the most expensive check.
  if (IsJsonContentType(out.content_type)) {
    status = ValidateJson(event.data());
    if (!status.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".data: not valid JSON for content type ",
                       Quote(out.content_type), " (", status.message(), ")"));
    }
  }
  return out;
}

// Request is `const v1::AppendRequest` (copy payloads) or `v1::AppendRequest`
// (move payloads out).
template <typename Request>
absl::StatusOr<AppendBatch> ConvertAppend(Request& request,
                                          const RequestLimits& limits) {
  absl::Status status = ValidateCustomerName(request.customer(), "customer");
  if (!status.ok()) return status;
  if (request.writes_size() == 0) {
    return absl::InvalidArgumentError(
        "writes: at least one stream write is required");
  }
  status = CheckAppendTotals(request, limits);
  if (!status.ok()) return status;

  AppendBatch batch;
  batch.customer = request.customer();
  batch.writes.reserve(static_cast<size_t>(request.writes_size()));
  absl::flat_hash_map<std::string, int> stream_index;
  absl::flat_hash_map<EventId, std::pair<int, int>> id_index;

  for (int w = 0; w < request.writes_size(); ++w) {
    const v1::StreamWrite& write = request.writes(w);
    const std::string write_field = absl::StrCat("writes[", w, "]");
    StreamWrite& out = batch.writes.emplace_back();

    status = ValidateStreamName(write.stream(), write_field + ".stream");
    if (!status.ok()) return status;
    const auto [it, inserted] = stream_index.emplace(write.stream(), w);
    if (!inserted) {
      return absl::InvalidArgumentError(
          absl::StrCat(write_field, ".stream: ", Quote(write.stream()),
                       " already appears in writes[", it->second,
                       "]; a stream may appear at most once per append"));
    }
    out.stream = write.stream();

    absl::StatusOr<ExpectedRevision> expected =
        ToExpectedRevision(write, write_field);
    if (!expected.ok()) return expected.status();
    out.expected = *expected;

    if (write.events_size() == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(write_field, ".events: at least one event is required"));
    }
    out.events.reserve(static_cast<size_t>(write.events_size()));
    for (int e = 0; e < write.events_size(); ++e) {
      const std::string field = absl::StrCat(write_field, ".events[", e, "]");
      absl::StatusOr<ProposedEvent> event =
          ConvertEventWithoutData(write.events(e), field, limits);
      if (!event.ok()) return event.status();
      const auto [seen, fresh] = id_index.emplace(event->id, std::pair(w, e));
      if (!fresh) {
        return absl::InvalidArgumentError(absl::StrCat(
            field, ".id: ", event->id.ToString(), " is also the id of writes[",
            seen->second.first, "].events[", seen->second.second,
            "]; event ids must be unique"));
      }
      event->data = TakeData(EventAt(request, w, e));
      out.events.push_back(*std::move(event));
    }
  }
  return batch;
}

}  // namespace

absl::StatusOr<AppendBatch> ToAppendBatch(const v1::AppendRequest& request,
                                          const RequestLimits& limits) {
  return ConvertAppend(request, limits);
}

absl::StatusOr<AppendBatch> ToAppendBatch(v1::AppendRequest&& request,
                                          const RequestLimits& limits) {
  return ConvertAppend(request, limits);
}

absl::StatusOr<ReadParams> ValidateReadRequest(const v1::ReadRequest& request) {
  absl::Status status = ValidateCustomerName(request.customer(), "customer");
  if (!status.ok()) return status;
  ReadParams params;
  params.customer = request.customer();
  if (!request.stream().empty()) {
    status = ValidateStreamName(request.stream(), "stream");
    if (!status.ok()) return status;
    params.stream = request.stream();
  }
  switch (request.direction()) {
    case v1::READ_DIRECTION_UNSPECIFIED:
    case v1::READ_DIRECTION_FORWARDS:
      params.direction = ReadDirection::kForwards;
      break;
    case v1::READ_DIRECTION_BACKWARDS:
      params.direction = ReadDirection::kBackwards;
      break;
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          "direction: unknown value ", static_cast<int>(request.direction())));
  }
  if (request.max_count() < 1) {
    return absl::InvalidArgumentError("max_count: must be at least 1");
  }
  params.from = request.start();
  params.max_count = request.max_count();
  params.include_data =
      request.has_include_data() ? request.include_data() : true;
  return params;
}

absl::StatusOr<LookupParams> ValidateGetEventsRequest(
    const v1::GetEventsRequest& request) {
  absl::Status status = ValidateCustomerName(request.customer(), "customer");
  if (!status.ok()) return status;
  const size_t items = static_cast<size_t>(request.ids_size()) +
                       static_cast<size_t>(request.positions_size());
  if (items == 0) {
    return absl::InvalidArgumentError(
        "ids, positions: at least one id or position is required");
  }
  if (items > kMaxLookupItems) {
    return absl::InvalidArgumentError(
        absl::StrCat("ids, positions: ", items, " items requested; at most ",
                     kMaxLookupItems, " ids and positions are allowed in all"));
  }
  LookupParams params;
  params.customer = request.customer();
  params.ids.reserve(static_cast<size_t>(request.ids_size()));
  for (int i = 0; i < request.ids_size(); ++i) {
    absl::StatusOr<EventId> id =
        ParseEventId(request.ids(i), absl::StrCat("ids[", i, "]"));
    if (!id.ok()) return id.status();
    params.ids.push_back(*id);
  }
  params.positions.reserve(static_cast<size_t>(request.positions_size()));
  for (uint64_t position : request.positions()) {
    params.positions.emplace_back(position);
  }
  params.include_data =
      request.has_include_data() ? request.include_data() : true;
  return params;
}

absl::StatusOr<SubscriptionParams> ValidateSubscribeRequest(
    const v1::SubscribeRequest& request) {
  absl::Status status = ValidateCustomerName(request.customer(), "customer");
  if (!status.ok()) return status;
  SubscriptionParams params;
  params.customer = request.customer();
  params.start_at_oldest_retained = request.start_at_oldest_retained();

  switch (request.start_case()) {
    case v1::SubscribeRequest::START_NOT_SET:
      break;
    case v1::SubscribeRequest::kAfterPosition:
      params.start_after = FeedPosition(request.after_position());
      break;
    case v1::SubscribeRequest::kOrigin:
      switch (request.origin()) {
        case v1::SUBSCRIBE_START_UNSPECIFIED:
        case v1::SUBSCRIBE_START_BEGINNING:
          break;
        case v1::SUBSCRIBE_START_END:
          params.start_at_end = true;
          break;
        default:
          return absl::InvalidArgumentError(absl::StrCat(
              "origin: unknown value ", static_cast<int>(request.origin())));
      }
      break;
  }
  if (!request.checkpoint().empty()) {
    if (request.start_case() != v1::SubscribeRequest::START_NOT_SET) {
      return absl::InvalidArgumentError(
          "checkpoint: cannot be combined with a start (origin or "
          "after_position); the checkpoint says where to start, and "
          "checkpoint_default where a missing one starts");
    }
    status = ValidateCheckpointName(request.checkpoint(), "checkpoint");
    if (!status.ok()) return status;
    switch (request.checkpoint_default()) {
      case v1::SUBSCRIBE_START_UNSPECIFIED:
      case v1::SUBSCRIBE_START_BEGINNING:
        break;
      case v1::SUBSCRIBE_START_END:
        params.checkpoint_default_at_end = true;
        break;
      default:
        return absl::InvalidArgumentError(
            absl::StrCat("checkpoint_default: unknown value ",
                         static_cast<int>(request.checkpoint_default())));
    }
  } else if (request.checkpoint_default() != v1::SUBSCRIBE_START_UNSPECIFIED) {
    return absl::InvalidArgumentError(
        "checkpoint_default: only meaningful with checkpoint (where a "
        "subscription from a missing checkpoint starts); use origin without "
        "one");
  }

  if (static_cast<size_t>(request.stream_prefixes_size()) >
      kMaxSubscribeFilterEntries) {
    return absl::InvalidArgumentError(absl::StrCat(
        "stream_prefixes: ", request.stream_prefixes_size(),
        " prefixes; at most ", kMaxSubscribeFilterEntries, " are allowed"));
  }
  if (static_cast<size_t>(request.event_types_size()) >
      kMaxSubscribeFilterEntries) {
    return absl::InvalidArgumentError(absl::StrCat(
        "event_types: ", request.event_types_size(), " types; at most ",
        kMaxSubscribeFilterEntries, " are allowed"));
  }
  std::vector<std::string> prefixes;
  for (int i = 0; i < request.stream_prefixes_size(); ++i) {
    const std::string& prefix = request.stream_prefixes(i);
    // A prefix is a stream name or the start of one (possibly cut inside a
    // UTF-8 sequence), so only its length is checked.
    if (prefix.size() > kMaxStreamNameBytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          "stream_prefixes[", i, "]: ", prefix.size(), " bytes; at most ",
          kMaxStreamNameBytes, " are allowed"));
    }
    prefixes.push_back(prefix);
  }
  std::vector<std::string> types;
  for (int i = 0; i < request.event_types_size(); ++i) {
    status = ValidateEventType(request.event_types(i),
                               absl::StrCat("event_types[", i, "]"));
    if (!status.ok()) return status;
    types.push_back(request.event_types(i));
  }
  Partition partition;
  if (request.has_partition()) {
    absl::StatusOr<Partition> converted = FromProto(request.partition());
    if (!converted.ok()) return converted.status();
    partition = *converted;
  }
  params.filter = EventFilter(std::move(prefixes), std::move(types), partition);
  if (!request.checkpoint().empty()) {
    params.checkpoint = CheckpointId{request.checkpoint(), partition};
  }
  params.include_data =
      request.has_include_data() ? request.include_data() : true;

  const uint32_t heartbeat_ms = request.heartbeat_interval_ms();
  if (heartbeat_ms != 0) {
    if (heartbeat_ms < kMinHeartbeatIntervalMs ||
        heartbeat_ms > kMaxHeartbeatIntervalMs) {
      return absl::InvalidArgumentError(absl::StrCat(
          "heartbeat_interval_ms: ", heartbeat_ms, " is out of range; use 0 ",
          "(the server's default) or ", kMinHeartbeatIntervalMs, " to ",
          kMaxHeartbeatIntervalMs));
    }
    params.heartbeat_interval = absl::Milliseconds(heartbeat_ms);
  }
  return params;
}

}  // namespace evstore::server
