#include "server/subscribe_wire_format.h"

#include <cassert>
#include <cstdint>

#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"
#include "grpc/slice.h"
#include "grpcpp/impl/codegen/proto_utils.h"

namespace evstore::server {
namespace {

using google::protobuf::internal::WireFormatLite;
using google::protobuf::io::CodedOutputStream;

// The tag of a length-delimited field, and its size (1 byte for fields 1-15).
uint32_t LengthDelimitedTag(int field_number) {
  return WireFormatLite::MakeTag(field_number,
                                 WireFormatLite::WIRETYPE_LENGTH_DELIMITED);
}

size_t HeaderSize(uint32_t tag, size_t length) {
  return CodedOutputStream::VarintSize32(tag) +
         CodedOutputStream::VarintSize64(length);
}

uint8_t* WriteHeader(uint32_t tag, size_t length, uint8_t* at) {
  at = CodedOutputStream::WriteVarint32ToArray(tag, at);
  return CodedOutputStream::WriteVarint64ToArray(length, at);
}

}  // namespace

grpc::Slice EncodeEventEntry(const v1::RecordedEvent& event) {
  const uint32_t tag = LengthDelimitedTag(v1::EventBatch::kEventsFieldNumber);
  const size_t size = event.ByteSizeLong();
  const size_t total = HeaderSize(tag, size) + size;
  grpc_slice slice = grpc_slice_malloc(total);
  uint8_t* at = WriteHeader(tag, size, GRPC_SLICE_START_PTR(slice));
  at = event.SerializeWithCachedSizesToArray(at);
  assert(at == GRPC_SLICE_START_PTR(slice) + total);
  (void)at;
  return grpc::Slice(slice, grpc::Slice::STEAL_REF);
}

void EncodeEventBatch(const std::vector<grpc::Slice>& entries,
                      grpc::ByteBuffer* out) {
  const uint32_t tag =
      LengthDelimitedTag(v1::SubscribeResponse::kEventsFieldNumber);
  size_t length = 0;
  for (const grpc::Slice& entry : entries) length += entry.size();
  std::vector<grpc::Slice> slices;
  slices.reserve(entries.size() + 1);
  uint8_t header[16];
  const uint8_t* header_end = WriteHeader(tag, length, header);
  slices.emplace_back(header, static_cast<size_t>(header_end - header));
  slices.insert(slices.end(), entries.begin(), entries.end());
  grpc::ByteBuffer batch(slices.data(), slices.size());
  out->Swap(&batch);
}

void EncodeResponse(const v1::SubscribeResponse& message,
                    grpc::ByteBuffer* out) {
  bool own_buffer = false;
  grpc::ByteBuffer serialized;
  // Fails only for messages over 2 GiB; these are a few bytes.
  const grpc::Status status =
      grpc::SerializationTraits<v1::SubscribeResponse>::Serialize(
          message, &serialized, &own_buffer);
  assert(status.ok());
  (void)status;
  out->Swap(&serialized);
}

}  // namespace evstore::server
