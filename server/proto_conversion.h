// Conversions from the engine's records to their evstore.v1 messages.
#ifndef EVSTORE_SERVER_PROTO_CONVERSION_H_
#define EVSTORE_SERVER_PROTO_CONVERSION_H_

#include <cstdint>

#include "evstore/v1/evstore.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "storage/records.h"

namespace evstore::server {

// Unix time in microseconds as a Timestamp (nanos always in [0, 1e9)).
void MicrosToTimestamp(int64_t micros, google::protobuf::Timestamp* out);

// Sets every field of `out` from `event`; without `include_data` the
// payload is empty. `out` may hold an earlier event: overwriting one reuses
// its buffers, which is how live subscriptions avoid allocating per event.
void ToProto(const RecordedEvent& event, bool include_data,
             v1::RecordedEvent* out);
// The same, moving the strings out of `event`.
void ToProto(RecordedEvent&& event, v1::RecordedEvent* out);

// Fills `out` (which should be empty) from `result`.
void ToProto(const AppendResult& result, v1::AppendResponse* out);

}  // namespace evstore::server

#endif  // EVSTORE_SERVER_PROTO_CONVERSION_H_
