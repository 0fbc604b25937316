// The wire form of Subscribe's event batches, assembled from events that are
// serialized one by one, so that a live event is serialized once and its
// bytes shared by every subscriber that receives it.
//
// A SubscribeResponse holding an EventBatch of n events is, on the wire:
//
//   +------+-----------+-----------------+-----------------+-----+
//   | 0x0A | varint(L) | entry(event 1)  | entry(event 2)  | ... |
//   +------+-----------+-----------------+-----------------+-----+
//     SubscribeResponse.events (field 1), L = total size of the entries
//
//   entry(event) = | 0x0A | varint(size) | RecordedEvent bytes |
//                    EventBatch.events (field 1, repeated)
//
// which is exactly what serializing the SubscribeResponse message gives, so
// clients parse it with the generated code as usual.
#ifndef EVSTORE_SERVER_SUBSCRIBE_WIRE_FORMAT_H_
#define EVSTORE_SERVER_SUBSCRIBE_WIRE_FORMAT_H_

#include <vector>

#include "evstore/v1/evstore.pb.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/slice.h"

namespace evstore::server {

// `event` serialized as one entry of EventBatch.events, in a slice of its
// own (reference-counted: copies of the slice share the bytes).
grpc::Slice EncodeEventEntry(const v1::RecordedEvent& event);

// Makes `out` a SubscribeResponse whose EventBatch holds `entries` (each from
// EncodeEventEntry), in order. `out` references the entries' bytes; nothing
// but a few header bytes is copied.
void EncodeEventBatch(const std::vector<grpc::Slice>& entries,
                      grpc::ByteBuffer* out);

// Makes `out` the serialized `message` (for caught_up and heartbeats).
void EncodeResponse(const v1::SubscribeResponse& message,
                    grpc::ByteBuffer* out);

}  // namespace evstore::server

#endif  // EVSTORE_SERVER_SUBSCRIBE_WIRE_FORMAT_H_
