// Fuzz target for what the server runs on a request before anything touches
// storage (server/request_validation.h, server/json_content.h, and the
// records-to-messages conversion of server/proto_conversion.h).
//
// Input: selector byte | a serialized protobuf message. The selector picks
// the message type (modulo 5: AppendRequest, AppendSessionRequest,
// ReadRequest, GetEventsRequest, SubscribeRequest) and the size limits
// ((selector / 5) % 2: the defaults, or small ones that fuzzing can reach).
// Bytes that do not parse as that message are skipped, as gRPC would refuse
// them before our code runs.
//
// Properties, beyond "never crashes":
//  - A refused request fails with INVALID_ARGUMENT (or RESOURCE_EXHAUSTED for
//    size limits, appends only), and its message is short, printable text:
//    request bytes are quoted escaped, never raw (a status message reaches
//    logs and clients in other languages, which expect UTF-8).
//  - An accepted request satisfies every rule of the contract: valid customer
//    and stream names, a valid non-nil UUID per event and no id twice, no
//    stream twice, valid types and content types, valid JSON data where the
//    content type is JSON, every size within its limit, metadata sorted by
//    key; and the result holds exactly what the request said.
//  - Both ToAppendBatch overloads (copying and moving) agree, and an append
//    accepted under the small limits is also accepted under the defaults.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "base/partition.h"
#include "evstore/v1/evstore.pb.h"
#include "google/protobuf/stubs/logging.h"
#include "server/json_content.h"
#include "server/proto_conversion.h"
#include "server/request_validation.h"
#include "storage/event_id.h"
#include "storage/names.h"
#include "storage/records.h"
#include "tests/fuzz/fuzz_check.h"

namespace evstore::fuzz {
namespace {

using server::RequestLimits;

// Small enough that fuzzing crosses every limit with short inputs.
constexpr RequestLimits kSmallLimits{.max_event_bytes = 64,
                                     .max_append_events = 8,
                                     .max_append_bytes = 512,
                                     .max_metadata_entries = 4,
                                     .max_metadata_bytes = 64};

// Printable ASCII only: every message part is ASCII, and request bytes are
// quoted C-escaped (absl::CHexEscape).
bool IsPrintableAscii(std::string_view text) {
  for (const char c : text) {
    if (c < 0x20 || c > 0x7E) return false;
  }
  return true;
}

void CheckRefusal(const absl::Status& status, bool may_exhaust) {
  EVSTORE_FUZZ_CHECK(
      status.code() == absl::StatusCode::kInvalidArgument ||
          (may_exhaust &&
           status.code() == absl::StatusCode::kResourceExhausted),
      "a refused request fails with INVALID_ARGUMENT or RESOURCE_EXHAUSTED");
  const std::string_view message(status.message().data(),
                                 status.message().size());
  EVSTORE_FUZZ_CHECK(!message.empty() && message.size() <= 1024,
                     "a refusal says why, briefly");
  EVSTORE_FUZZ_CHECK(IsPrintableAscii(message),
                     "a refusal's message is printable text (request bytes "
                     "are escaped, so no control characters reach logs)");
}

std::string Lowercase(std::string text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return text;
}

// --- appends ---

bool SameBatch(const AppendBatch& a, const AppendBatch& b) {
  if (a.customer != b.customer || a.writes.size() != b.writes.size()) {
    return false;
  }
  for (size_t w = 0; w < a.writes.size(); ++w) {
    const StreamWrite& x = a.writes[w];
    const StreamWrite& y = b.writes[w];
    if (x.stream != y.stream || x.expected.kind != y.expected.kind ||
        x.expected.revision != y.expected.revision ||
        x.events.size() != y.events.size()) {
      return false;
    }
    for (size_t e = 0; e < x.events.size(); ++e) {
      const ProposedEvent& p = x.events[e];
      const ProposedEvent& q = y.events[e];
      if (p.id != q.id || p.type != q.type ||
          p.content_type != q.content_type || p.data != q.data ||
          p.metadata != q.metadata) {
        return false;
      }
    }
  }
  return true;
}

ExpectedRevision ExpectedOf(const v1::StreamWrite& write) {
  if (write.expected_case() == v1::StreamWrite::kExpectedRevision) {
    return ExpectedRevision::Exact(StreamRevision(write.expected_revision()));
  }
  if (write.expected_case() == v1::StreamWrite::kExpectedState) {
    if (write.expected_state() == v1::EXPECTED_STATE_NO_STREAM) {
      return ExpectedRevision::NoStream();
    }
    if (write.expected_state() == v1::EXPECTED_STATE_STREAM_EXISTS) {
      return ExpectedRevision::StreamExists();
    }
  }
  return ExpectedRevision::Any();
}

// The event as the server would send it back once recorded: exercises the
// records-to-messages conversion with accepted values.
void CheckRecordedForm(const ProposedEvent& event, const std::string& stream,
                       const v1::ProposedEvent& proposed, int64_t micros) {
  RecordedEvent recorded;
  recorded.stream = stream;
  recorded.id = event.id;
  recorded.type = event.type;
  recorded.content_type = event.content_type;
  recorded.data = event.data;
  recorded.metadata = event.metadata;
  recorded.recorded_at_micros = micros;
  v1::RecordedEvent message;
  server::ToProto(recorded, /*include_data=*/true, &message);
  EVSTORE_FUZZ_CHECK(message.id() == Lowercase(proposed.id()) &&
                         message.data() == proposed.data() &&
                         message.type() == proposed.type(),
                     "a recorded event carries the request's id and data");
  bool same_metadata = message.metadata_size() == proposed.metadata_size();
  for (const auto& [key, value] : proposed.metadata()) {
    const auto it = message.metadata().find(key);
    same_metadata =
        same_metadata && it != message.metadata().end() && it->second == value;
  }
  EVSTORE_FUZZ_CHECK(same_metadata,
                     "a recorded event carries the request's metadata");
  const google::protobuf::Timestamp& at = message.recorded_at();
  EVSTORE_FUZZ_CHECK(
      at.nanos() >= 0 && at.nanos() < 1'000'000'000 && at.nanos() % 1000 == 0,
      "timestamps have nanos in [0, 1e9)");
  // Exact in 64-bit wrap-around arithmetic, as the true value fits.
  EVSTORE_FUZZ_CHECK(static_cast<uint64_t>(at.seconds()) * 1'000'000 +
                             static_cast<uint64_t>(at.nanos() / 1000) ==
                         static_cast<uint64_t>(micros),
                     "timestamps hold the recorded time exactly");
}

void CheckAcceptedEvent(const ProposedEvent& event,
                        const v1::ProposedEvent& proposed,
                        const RequestLimits& limits) {
  EVSTORE_FUZZ_CHECK(EventId::Parse(proposed.id()) == event.id &&
                         event.id.bytes() != EventId::Bytes{},
                     "an accepted event has the request's non-nil UUID");
  EVSTORE_FUZZ_CHECK(
      event.type == proposed.type() && ValidateEventType(event.type).ok(),
      "an accepted event has the request's valid type");
  EVSTORE_FUZZ_CHECK(
      proposed.content_type().empty()
          ? event.content_type == server::kDefaultContentType
          : event.content_type == proposed.content_type() &&
                ValidateEventType(event.content_type).ok() &&
                event.content_type.size() <= server::kMaxContentTypeBytes,
      "an accepted content type is the request's (valid) or the default");
  EVSTORE_FUZZ_CHECK(event.data == proposed.data() &&
                         event.data.size() <= limits.max_event_bytes,
                     "accepted data is the request's, within the limit");
  if (server::IsJsonContentType(event.content_type)) {
    EVSTORE_FUZZ_CHECK(server::ValidateJson(event.data).ok(),
                       "data accepted as JSON is valid JSON");
  }
  size_t metadata_bytes = 0;
  bool sorted_and_from_request = true;
  for (size_t i = 0; i < event.metadata.size(); ++i) {
    const auto& [key, value] = event.metadata[i];
    metadata_bytes += key.size() + value.size();
    const auto it = proposed.metadata().find(key);
    sorted_and_from_request = sorted_and_from_request && !key.empty() &&
                              it != proposed.metadata().end() &&
                              it->second == value &&
                              (i == 0 || event.metadata[i - 1].first < key);
  }
  EVSTORE_FUZZ_CHECK(
      sorted_and_from_request &&
          event.metadata.size() ==
              static_cast<size_t>(proposed.metadata_size()),
      "accepted metadata is the request's, sorted by key, no empty key");
  EVSTORE_FUZZ_CHECK(event.metadata.size() <= limits.max_metadata_entries &&
                         metadata_bytes <= limits.max_metadata_bytes,
                     "accepted metadata is within its limits");
}

void CheckAcceptedAppend(const v1::AppendRequest& request,
                         const AppendBatch& batch,
                         const RequestLimits& limits) {
  EVSTORE_FUZZ_CHECK(batch.customer == request.customer() &&
                         ValidateCustomerName(batch.customer).ok(),
                     "an accepted append names a valid customer");
  EVSTORE_FUZZ_CHECK(
      !batch.writes.empty() &&
          batch.writes.size() == static_cast<size_t>(request.writes_size()),
      "an accepted append has the request's stream writes");
  absl::flat_hash_set<std::string> streams;
  absl::flat_hash_set<EventId> ids;
  size_t events = 0;
  size_t bytes = 0;
  for (int w = 0; w < request.writes_size(); ++w) {
    const v1::StreamWrite& write = request.writes(w);
    const StreamWrite& out = batch.writes[static_cast<size_t>(w)];
    EVSTORE_FUZZ_CHECK(out.stream == write.stream() &&
                           ValidateStreamName(out.stream).ok() &&
                           streams.insert(out.stream).second,
                       "each write names a valid stream, no stream twice");
    const ExpectedRevision expected = ExpectedOf(write);
    EVSTORE_FUZZ_CHECK(out.expected.kind == expected.kind &&
                           out.expected.revision == expected.revision,
                       "a write keeps the request's expected revision");
    EVSTORE_FUZZ_CHECK(
        !out.events.empty() &&
            out.events.size() == static_cast<size_t>(write.events_size()),
        "each write has the request's events, at least one");
    for (int e = 0; e < write.events_size(); ++e) {
      const ProposedEvent& event = out.events[static_cast<size_t>(e)];
      CheckAcceptedEvent(event, write.events(e), limits);
      EVSTORE_FUZZ_CHECK(ids.insert(event.id).second,
                         "no event id appears twice in an accepted append");
      CheckRecordedForm(event, out.stream, write.events(e),
                        static_cast<int64_t>(write.expected_revision()));
      ++events;
      bytes += event.data.size() + event.type.size();
      for (const auto& [key, value] : event.metadata) {
        bytes += key.size() + value.size();
      }
    }
  }
  EVSTORE_FUZZ_CHECK(
      events <= limits.max_append_events && bytes <= limits.max_append_bytes,
      "an accepted append is within the append limits");
}

void CheckAppend(const v1::AppendRequest& request, const RequestLimits& limits,
                 bool small_limits) {
  const absl::StatusOr<AppendBatch> copied =
      server::ToAppendBatch(request, limits);
  v1::AppendRequest movable = request;
  const absl::StatusOr<AppendBatch> moved =
      server::ToAppendBatch(std::move(movable), limits);
  EVSTORE_FUZZ_CHECK(copied.status() == moved.status(),
                     "copying and moving conversions agree on the status");
  if (!copied.ok()) {
    CheckRefusal(copied.status(), /*may_exhaust=*/true);
    return;
  }
  EVSTORE_FUZZ_CHECK(SameBatch(*copied, *moved),
                     "copying and moving conversions give equal batches");
  CheckAcceptedAppend(request, *copied, limits);
  if (small_limits) {
    EVSTORE_FUZZ_CHECK(server::ToAppendBatch(request, RequestLimits{}).ok(),
                       "an append within small limits is within the defaults");
  }
}

// --- reads, lookups, subscriptions ---

void CheckRead(const v1::ReadRequest& request) {
  const absl::StatusOr<server::ReadParams> params =
      server::ValidateReadRequest(request);
  if (!params.ok()) {
    CheckRefusal(params.status(), /*may_exhaust=*/false);
    return;
  }
  EVSTORE_FUZZ_CHECK(params->customer == request.customer() &&
                         ValidateCustomerName(params->customer).ok(),
                     "an accepted read names a valid customer");
  EVSTORE_FUZZ_CHECK(
      params->stream == request.stream() &&
          (params->stream.empty() || ValidateStreamName(params->stream).ok()),
      "an accepted read names the feed or a valid stream");
  const ReadDirection direction =
      request.direction() == v1::READ_DIRECTION_BACKWARDS
          ? ReadDirection::kBackwards
          : ReadDirection::kForwards;
  EVSTORE_FUZZ_CHECK(
      params->direction == direction &&
          (request.direction() == v1::READ_DIRECTION_UNSPECIFIED ||
           request.direction() == v1::READ_DIRECTION_FORWARDS ||
           request.direction() == v1::READ_DIRECTION_BACKWARDS),
      "an accepted read has a known direction");
  EVSTORE_FUZZ_CHECK(params->max_count >= 1 &&
                         params->max_count == request.max_count() &&
                         params->from == request.start(),
                     "an accepted read keeps its range, of at least one");
  EVSTORE_FUZZ_CHECK(params->include_data == (!request.has_include_data() ||
                                              request.include_data()),
                     "data is included unless the request says otherwise");
}

void CheckGetEvents(const v1::GetEventsRequest& request) {
  const absl::StatusOr<server::LookupParams> params =
      server::ValidateGetEventsRequest(request);
  if (!params.ok()) {
    CheckRefusal(params.status(), /*may_exhaust=*/false);
    return;
  }
  EVSTORE_FUZZ_CHECK(params->customer == request.customer() &&
                         ValidateCustomerName(params->customer).ok(),
                     "an accepted lookup names a valid customer");
  const size_t items = params->ids.size() + params->positions.size();
  EVSTORE_FUZZ_CHECK(items >= 1 && items <= server::kMaxLookupItems,
                     "an accepted lookup asks for 1 to 10,000 items");
  EVSTORE_FUZZ_CHECK(
      params->ids.size() == static_cast<size_t>(request.ids_size()) &&
          params->positions.size() ==
              static_cast<size_t>(request.positions_size()),
      "an accepted lookup keeps every id and position");
  for (int i = 0; i < request.ids_size(); ++i) {
    EVSTORE_FUZZ_CHECK(
        EventId::Parse(request.ids(i)) == params->ids[static_cast<size_t>(i)],
        "an accepted lookup's ids are the request's UUIDs");
  }
  for (int i = 0; i < request.positions_size(); ++i) {
    EVSTORE_FUZZ_CHECK(params->positions[static_cast<size_t>(i)].value() ==
                           request.positions(i),
                       "an accepted lookup's positions are the request's");
  }
}

void CheckSubscribe(const v1::SubscribeRequest& request) {
  const absl::StatusOr<server::SubscriptionParams> params =
      server::ValidateSubscribeRequest(request);
  if (!params.ok()) {
    CheckRefusal(params.status(), /*may_exhaust=*/false);
    return;
  }
  EVSTORE_FUZZ_CHECK(params->customer == request.customer() &&
                         ValidateCustomerName(params->customer).ok(),
                     "an accepted subscription names a valid customer");
  const bool at_end = request.start_case() == v1::SubscribeRequest::kOrigin &&
                      request.origin() == v1::SUBSCRIBE_START_END;
  const uint64_t after =
      request.start_case() == v1::SubscribeRequest::kAfterPosition
          ? request.after_position()
          : 0;
  EVSTORE_FUZZ_CHECK(
      params->start_at_end == at_end && params->start_after.value() == after,
      "an accepted subscription starts where it asked");
  EVSTORE_FUZZ_CHECK(static_cast<size_t>(request.stream_prefixes_size()) <=
                             server::kMaxSubscribeFilterEntries &&
                         static_cast<size_t>(request.event_types_size()) <=
                             server::kMaxSubscribeFilterEntries,
                     "an accepted filter is within its size limits");
  // An unset partition and count 0 both mean the whole feed.
  const Partition partition{.index = request.partition().index(),
                            .count = request.partition().count()};
  EVSTORE_FUZZ_CHECK(partition.IsValid(),
                     "an accepted partition has index < count <= 1024, or is "
                     "the whole feed");
  EVSTORE_FUZZ_CHECK(
      params->filter.MatchesAll() ==
          (request.stream_prefixes().empty() && request.event_types().empty() &&
           partition.IsWholeFeed()),
      "an empty filter of the whole feed, and only that, matches everything");
  EVSTORE_FUZZ_CHECK(
      request.checkpoint().empty()
          ? !params->checkpoint.has_value()
          : params->checkpoint.has_value() &&
                params->checkpoint->name == request.checkpoint() &&
                params->checkpoint->partition == partition,
      "an accepted checkpoint start names the request's checkpoint and "
      "partition");
  for (const std::string& prefix : request.stream_prefixes()) {
    EVSTORE_FUZZ_CHECK(prefix.size() <= kMaxStreamNameBytes,
                       "accepted stream prefixes are short");
    const std::string stream = prefix + "/x";
    for (const std::string& type : request.event_types()) {
      EVSTORE_FUZZ_CHECK(
          ValidateEventType(type).ok() &&
              params->filter.Matches(stream, type) ==
                  InPartition(stream, partition),
          "the filter matches the streams and types asked, in its partition");
    }
  }
  const uint32_t ms = request.heartbeat_interval_ms();
  EVSTORE_FUZZ_CHECK(
      ms == 0 ? params->heartbeat_interval == absl::ZeroDuration()
              : ms >= server::kMinHeartbeatIntervalMs &&
                    ms <= server::kMaxHeartbeatIntervalMs &&
                    params->heartbeat_interval == absl::Milliseconds(ms),
      "an accepted heartbeat interval is the default or within range");
}

template <typename Message>
bool Parse(const uint8_t* data, size_t size, Message* message) {
  return message->ParseFromArray(data, static_cast<int>(size));
}

}  // namespace
}  // namespace evstore::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace evstore;
  using namespace evstore::fuzz;
  // Parsing bytes that are not a message is the normal case here; without
  // this, protobuf logs every invalid UTF-8 string field.
  static const bool quiet = (google::protobuf::SetLogHandler(nullptr), true);
  (void)quiet;
  if (size == 0) return 0;
  const uint8_t selector = data[0];
  const bool small_limits = (selector / 5) % 2 == 1;
  const server::RequestLimits limits =
      small_limits ? kSmallLimits : server::RequestLimits{};
  ++data;
  --size;
  switch (selector % 5) {
    case 0: {
      v1::AppendRequest request;
      if (Parse(data, size, &request))
        CheckAppend(request, limits, small_limits);
      break;
    }
    case 1: {
      // AppendSession converts each append of a message with the moving
      // overload; CheckAppend runs both.
      v1::AppendSessionRequest request;
      if (Parse(data, size, &request)) {
        for (const v1::SessionAppend& append : request.appends()) {
          CheckAppend(append.append(), limits, small_limits);
        }
      }
      break;
    }
    case 2: {
      v1::ReadRequest request;
      if (Parse(data, size, &request)) CheckRead(request);
      break;
    }
    case 3: {
      v1::GetEventsRequest request;
      if (Parse(data, size, &request)) CheckGetEvents(request);
      break;
    }
    default: {
      v1::SubscribeRequest request;
      if (Parse(data, size, &request)) CheckSubscribe(request);
      break;
    }
  }
  return 0;
}
