#include "server/proto_conversion.h"

#include <string>
#include <utility>

namespace evstore::server {
namespace {

constexpr int64_t kMicrosPerSecond = 1'000'000;

// The canonical text form of `id` (as EventId::ToString), written into
// `out`'s existing buffer.
void SetUuidText(const EventId& id, std::string* out) {
  static constexpr char kDigits[] = "0123456789abcdef";
  out->resize(36);
  char* text = out->data();
  size_t at = 0;
  const EventId::Bytes& bytes = id.bytes();
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) text[at++] = '-';
    text[at++] = kDigits[bytes[i] >> 4];
    text[at++] = kDigits[bytes[i] & 0xF];
  }
}

void FillCommonFields(const RecordedEvent& event, v1::RecordedEvent* out) {
  out->set_revision(event.revision.value());
  out->set_position(event.position.value());
  SetUuidText(event.id, out->mutable_id());
  MicrosToTimestamp(event.recorded_at_micros, out->mutable_recorded_at());
}

}  // namespace

void MicrosToTimestamp(int64_t micros, google::protobuf::Timestamp* out) {
  int64_t seconds = micros / kMicrosPerSecond;
  int64_t rest = micros % kMicrosPerSecond;
  if (rest < 0) {
    rest += kMicrosPerSecond;
    --seconds;
  }
  out->set_seconds(seconds);
  out->set_nanos(static_cast<int32_t>(rest * 1000));
}

void ToProto(const RecordedEvent& event, bool include_data,
             v1::RecordedEvent* out) {
  FillCommonFields(event, out);
  out->set_customer(event.customer);
  out->set_stream(event.stream);
  out->set_type(event.type);
  out->set_content_type(event.content_type);
  if (include_data) {
    out->set_data(event.data);
  } else {
    out->clear_data();
  }
  auto& metadata = *out->mutable_metadata();
  metadata.clear();
  for (const auto& [key, value] : event.metadata) metadata[key] = value;
}

void ToProto(RecordedEvent&& event, v1::RecordedEvent* out) {
  FillCommonFields(event, out);
  out->set_customer(std::move(event.customer));
  out->set_stream(std::move(event.stream));
  out->set_type(std::move(event.type));
  out->set_content_type(std::move(event.content_type));
  out->set_data(std::move(event.data));
  auto& metadata = *out->mutable_metadata();
  metadata.clear();
  for (auto& [key, value] : event.metadata) metadata[key] = std::move(value);
}

void ToProto(const AppendResult& result, v1::AppendResponse* out) {
  out->set_first_position(result.first_position.value());
  out->set_last_position(result.last_position.value());
  out->set_duplicate(result.duplicate);
  MicrosToTimestamp(result.recorded_at_micros, out->mutable_recorded_at());
  out->mutable_streams()->Reserve(static_cast<int>(result.streams.size()));
  for (const StreamAppendResult& stream : result.streams) {
    v1::StreamAppendResult* s = out->add_streams();
    s->set_stream(stream.stream);
    s->set_first_revision(stream.first_revision.value());
    s->set_last_revision(stream.last_revision.value());
  }
}

}  // namespace evstore::server
