// Writes the seed corpus of the fuzz targets: small, meaningful inputs in
// each target's input format (see the comment at the top of each
// *_fuzzer.cc). The committed corpus in tests/fuzz/corpus is this program's
// output:
//
//   build/tests/fuzz/evstore_fuzz_seed_corpus tests/fuzz/corpus
//
// It writes <dir>/<target>/<name> files and overwrites existing ones with
// the same name (inputs that fuzzing added under other names stay).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "evstore/v1/evstore.pb.h"
#include "storage/customer_quota.h"
#include "storage/customer_retention.h"
#include "storage/event_id.h"
#include "storage/key_format.h"
#include "storage/record_codec.h"
#include "storage/records.h"
#include "storage/types.h"

namespace evstore::fuzz {
namespace {

namespace fs = std::filesystem;

// Ids of the README's walkthrough.
constexpr char kId1[] = "6f1c1c36-3b1e-4f53-9d43-0b3c8c1f4a01";
constexpr char kId2[] = "6f1c1c36-3b1e-4f53-9d43-0b3c8c1f4a02";
constexpr char kNominationJson[] =
    R"({"contract":"DS000068","grid":"Energinet","gasDay":"2026-11-27",)"
    R"("unit":"kWh","status":"16G","hourly":[{"utc":"2026-11-27T05:00:00Z",)"
    R"("value":125000}]})";

class CorpusWriter {
 public:
  CorpusWriter(const fs::path& root, const std::string& target)
      : dir_(root / target) {
    fs::create_directories(dir_);
  }
  void Write(const std::string& name, std::string_view bytes) {
    std::ofstream out(dir_ / name, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) {
      std::fprintf(stderr, "cannot write %s\n", (dir_ / name).c_str());
      std::exit(1);
    }
    ++written_;
  }
  int written() const { return written_; }

 private:
  fs::path dir_;
  int written_ = 0;
};

EventId Id(const char* text) { return *EventId::Parse(text); }

// Bytes as FuzzInput reads them (tests/fuzz/fuzz_input.h).
void PutU32(std::string* out, uint32_t v) { keys::AppendU32(out, v); }
void PutU64(std::string* out, uint64_t v) { keys::AppendU64(out, v); }
void PutString(std::string* out, std::string_view s) {
  out->push_back(static_cast<char>(s.size()));
  out->append(s);
}

// --- key_format ---

// Structured values a and b in the order key_format_fuzzer reads them.
struct KeyValues {
  uint32_t customer;
  uint64_t position;
  uint64_t revision;
  std::string stream;
  const char* id;
  uint64_t segment;
};
std::string StructuredKeys(const KeyValues& a, const KeyValues& b,
                           uint8_t sharing) {
  std::string out;
  for (const KeyValues* v : {&a, &b}) {
    PutU32(&out, v->customer);
    PutU64(&out, v->position);
    PutU64(&out, v->revision);
    PutString(&out, v->stream);
    out.append(Id(v->id).AsBytes());
    PutU64(&out, v->segment);
  }
  out.push_back(static_cast<char>(sharing));
  return out;
}

void WriteKeyFormatSeeds(CorpusWriter& w) {
  const CustomerKey c1(1);
  w.Write("event_key", keys::EventKey(c1, FeedPosition(1)));
  w.Write("event_key_large",
          keys::EventKey(CustomerKey(7), FeedPosition(123456789012)));
  w.Write("stream_run_key",
          keys::StreamRunKey(c1, "contract/DS000068/nominations",
                             StreamRevision(1)));
  w.Write("stream_run_key_utf8",
          keys::StreamRunKey(CustomerKey(2), "kunde/\xc3\x98rsted/forecast",
                             StreamRevision(300)));
  w.Write("stream_run_value", keys::EncodeStreamRunValue(FeedPosition(42), 3));
  w.Write("stream_end_marker", keys::EncodeStreamEndMarker(false));
  w.Write("stream_end_marker_tombstone", keys::EncodeStreamEndMarker(true));
  w.Write("id_key", keys::IdKey(c1, Id(kId1)));
  w.Write("position", keys::EncodePosition(FeedPosition(42)));
  w.Write("customer_key", keys::EncodeCustomerKey(c1));
  w.Write("meta_customer_by_key", keys::CustomerByKeyKey(c1));
  w.Write("meta_customer_by_name", keys::CustomerByNameKey("orsted-dk"));
  w.Write("meta_customer_record",
          keys::EncodeCustomerRecord("orsted-dk", 1764219600123456));
  w.Write("meta_segment_key", keys::SegmentKey(c1, 0));
  w.Write("segment_record", keys::EncodeSegmentRecord(
                                {FeedPosition(1), FeedPosition(4096),
                                 1795756800000000, 1795760400000000, 1 << 20}));
  w.Write("uuid_text", kId1);
  w.Write("uuid_text_upper", "6F1C1C36-3B1E-4F53-9D43-0B3C8C1F4A01");
  w.Write("structured_same_stream",
          StructuredKeys({1, 1, 1, "contract/DS000068/forecast", kId1, 0},
                         {1, 2, 300, "contract/DS000068/forecast", kId2, 1},
                         /*sharing=*/3));
  w.Write("structured_stream_prefix",
          StructuredKeys({1, 255, 1, "contract/DS1", kId1, 7},
                         {1, 256, 2, "contract/DS1/nominations", kId2, 8},
                         /*sharing=*/1));
  w.Write("structured_other_customer",
          StructuredKeys({1, UINT64_MAX, UINT64_MAX, "a", kId2, UINT64_MAX},
                         {2, 0, 0, "a", kId1, 0}, /*sharing=*/0));
}

// --- meta_format ---

// Structured values a and b in the order meta_format_fuzzer reads them,
// then the versioned values.
struct MetaValues {
  uint32_t customer;
  uint64_t segment;
  std::string customer_name;
  std::string checkpoint;
  uint32_t partition_count;
  uint32_t partition_index;
};
std::string StructuredMeta(const MetaValues& a, const MetaValues& b,
                           uint8_t sharing) {
  std::string out;
  for (const MetaValues* v : {&a, &b}) {
    PutU32(&out, v->customer);
    PutU64(&out, v->segment);
    PutString(&out, v->customer_name);
    PutString(&out, v->checkpoint);
    PutU32(&out, v->partition_count);
    PutU32(&out, v->partition_index);
  }
  out.push_back(static_cast<char>(sharing));
  PutU64(&out, 42);                // checkpoint position
  PutU64(&out, 1795756800000000);  // committed_at
  const uint64_t quota[] = {1000, 1 << 20, 5000, 0, 10, uint64_t{1} << 30};
  for (const uint64_t field : quota) PutU64(&out, field);
  PutU64(&out, 2592000);  // retention max_age_seconds (30 days)
  PutU64(&out, 0);        // retention max_bytes
  PutString(&out, "\x02later");
  return out;
}

void WriteMetaFormatSeeds(CorpusWriter& w) {
  const CustomerKey c1(1);
  w.Write("segment_key", keys::SegmentKey(c1, 3));
  w.Write("quota_key", keys::QuotaKey(c1));
  w.Write("retention_key", keys::RetentionKey(CustomerKey(7)));
  w.Write("checkpoint_key", keys::CheckpointKey(c1, "warehouse-loader", 0, 0));
  w.Write("checkpoint_key_partition",
          keys::CheckpointKey(c1, "warehouse-loader", 4, 2));
  w.Write("checkpoint_value",
          keys::EncodeCheckpointValue({FeedPosition(42), 1795756800000000}));
  w.Write("checkpoint_value_later_version",
          keys::EncodeCheckpointValue({FeedPosition(42), 1795756800000000}) +
              "\x02later");
  CustomerQuota quota;
  quota.append_events_per_second = 1000;
  quota.append_events_burst = 5000;
  quota.max_stored_bytes = uint64_t{1} << 30;
  w.Write("quota_record", EncodeCustomerQuota(quota));
  w.Write("retention_record",
          EncodeCustomerRetention({2592000, uint64_t{1} << 30}));
  w.Write("structured_name_prefix",
          StructuredMeta({1, 0, "orsted-dk", "loader", 0, 0},
                         {1, 1, "orsted-se", "loader-eu", 4, 1},
                         /*sharing=*/0));
  w.Write("structured_partitions",
          StructuredMeta({1, 5, "orsted-dk", "warehouse-loader", 4, 3},
                         {2, 6, "energinet", "warehouse-loader", 4, 1},
                         /*sharing=*/7));
  w.Write("structured_other_customer",
          StructuredMeta({1, UINT64_MAX, "a", "z", 1, 0},
                         {2, 0, "b", "a", 0, 0}, /*sharing=*/0));
}

// --- record_codec ---

std::string RecordInput(uint8_t mode, CustomerKey customer,
                        FeedPosition position, std::string_view rest) {
  std::string out(1, static_cast<char>(mode));
  PutU32(&out, customer.value());
  PutU64(&out, position.value());
  out.append(rest);
  return out;
}

std::string Envelope(CustomerKey customer, FeedPosition position,
                     const EventMetadata& metadata, std::string_view data,
                     std::string_view content_type) {
  const EventId id = Id(kId1);
  const codec::EventFields fields{.revision = StreamRevision(3),
                                  .recorded_at_micros = 1795756800123456,
                                  .index_in_append = 1,
                                  .append_size = 2,
                                  .id = &id,
                                  .stream = "contract/DS000068/nominations",
                                  .type = "NominationResponseReceived",
                                  .content_type = content_type,
                                  .metadata = &metadata,
                                  .data = data};
  std::string out;
  codec::EncodeEvent(customer, position, fields, &out);
  return out;
}

void WriteRecordCodecSeeds(CorpusWriter& w) {
  const CustomerKey c(1);
  const FeedPosition p(42);
  const EventMetadata metadata = {{"correlation-id", "T-2026-11-27-0001"},
                                  {"source", "dispatch"}};
  const std::string with_metadata =
      Envelope(c, p, metadata, kNominationJson, "application/json");
  const std::string plain = Envelope(c, p, {}, std::string("\x00\x01\xff", 3),
                                     "application/octet-stream");
  w.Write("stored_with_metadata", RecordInput(0, c, p, with_metadata));
  w.Write("stored_binary", RecordInput(0, c, p, plain));
  w.Write("stored_wrong_key", RecordInput(0, c, p.Next(), plain));
  w.Write("resealed_with_metadata", RecordInput(1, c, p, with_metadata));
  w.Write("resealed_binary", RecordInput(1, c, p, plain));

  // Fields in the order record_codec_fuzzer's RoundTrip reads them.
  std::string fields;
  fields.append(Id(kId2).AsBytes());
  PutU64(&fields, 7);                 // revision
  PutU64(&fields, 1795756800000000);  // recorded_at
  PutU32(&fields, 0);                 // index in append
  PutU32(&fields, 1);                 // append size
  PutString(&fields, "contract/DS000071/nominations");
  PutString(&fields, "TimeSeriesValuesChanged");
  PutString(&fields, "application/json");
  fields.push_back(1);  // metadata entries
  PutString(&fields, "source");
  PutString(&fields, "dispatch");
  PutString(&fields, "");  // earlier bytes in the output buffer
  fields.append(R"({"contract":"DS000071","value":-450000})");
  w.Write("roundtrip_event", RecordInput(2, c, p, fields));
}

// --- request_validation ---

// Selector values: the message type is selector % 5, small limits when
// (selector / 5) % 2 == 1.
enum Selector : uint8_t {
  kAppend = 0,
  kAppendSession = 1,
  kRead = 2,
  kGetEvents = 3,
  kSubscribe = 4,
  kSmallLimits = 5,
};

std::string RequestInput(uint8_t selector,
                         const google::protobuf::MessageLite& message) {
  std::string out(1, static_cast<char>(selector));
  out.append(message.SerializeAsString());
  return out;
}

v1::AppendRequest TwoStreamAppend() {
  v1::AppendRequest request;
  request.set_customer("orsted-dk");
  v1::StreamWrite* forecast = request.add_writes();
  forecast->set_stream("contract/DS000068/forecast");
  forecast->set_expected_state(v1::EXPECTED_STATE_ANY);
  v1::ProposedEvent* e1 = forecast->add_events();
  e1->set_id(kId1);
  e1->set_type("ForecastImported");
  e1->set_data(R"({"contract":"DS000068","gasDay":"2026-11-28","value":3})");
  (*e1->mutable_metadata())["source"] = "forecast-service";
  v1::StreamWrite* nominations = request.add_writes();
  nominations->set_stream("contract/DS000071/nominations");
  nominations->set_expected_revision(4);
  v1::ProposedEvent* e2 = nominations->add_events();
  e2->set_id(kId2);
  e2->set_type("TimeSeriesValuesChanged");
  e2->set_content_type("application/cloudevents+json; charset=utf-8");
  e2->set_data(R"({"contract":"DS000071","value":-450000})");
  return request;
}

void WriteRequestSeeds(CorpusWriter& w) {
  const v1::AppendRequest append = TwoStreamAppend();
  w.Write("append_two_streams", RequestInput(kAppend, append));
  w.Write("append_two_streams_small_limits",
          RequestInput(kAppend + kSmallLimits, append));

  v1::AppendRequest binary;
  binary.set_customer("orsted-dk");
  v1::StreamWrite* write = binary.add_writes();
  write->set_stream("meter/571313104402612345/readings");
  write->set_expected_state(v1::EXPECTED_STATE_NO_STREAM);
  v1::ProposedEvent* event = write->add_events();
  event->set_id("6F1C1C36-3B1E-4F53-9D43-0B3C8C1F4A03");
  event->set_type("MeterReadingImported");
  event->set_content_type("application/octet-stream");
  event->set_data(std::string("\x00\x10\xff\xfe", 4));
  w.Write("append_binary", RequestInput(kAppend, binary));

  v1::AppendRequest invalid_json = binary;
  invalid_json.mutable_writes(0)->mutable_events(0)->set_content_type(
      "application/json");
  w.Write("append_invalid_json", RequestInput(kAppend, invalid_json));

  v1::AppendRequest duplicate_id = append;
  duplicate_id.mutable_writes(1)->mutable_events(0)->set_id(kId1);
  w.Write("append_duplicate_id", RequestInput(kAppend, duplicate_id));

  v1::AppendSessionRequest session;
  v1::SessionAppend* first = session.add_appends();
  first->set_correlation_id(17);
  *first->mutable_append() = append;
  v1::SessionAppend* second = session.add_appends();
  second->set_correlation_id(18);
  *second->mutable_append() = binary;
  w.Write("append_session", RequestInput(kAppendSession, session));

  v1::ReadRequest read;
  read.set_customer("orsted-dk");
  read.set_stream("contract/DS000068/nominations");
  read.set_start(1);
  read.set_max_count(100);
  read.set_direction(v1::READ_DIRECTION_FORWARDS);
  w.Write("read_stream", RequestInput(kRead, read));
  read.clear_stream();
  read.set_direction(v1::READ_DIRECTION_BACKWARDS);
  read.set_include_data(false);
  w.Write("read_feed_backwards", RequestInput(kRead, read));

  v1::GetEventsRequest get;
  get.set_customer("orsted-dk");
  get.add_ids(kId1);
  get.add_ids(kId2);
  get.add_positions(2);
  get.add_positions(3);
  w.Write("get_events", RequestInput(kGetEvents, get));

  v1::SubscribeRequest subscribe;
  subscribe.set_customer("orsted-dk");
  subscribe.set_after_position(41);
  subscribe.add_stream_prefixes("contract/DS000068/");
  subscribe.add_event_types("NominationResponseReceived");
  subscribe.set_heartbeat_interval_ms(5000);
  w.Write("subscribe_filtered", RequestInput(kSubscribe, subscribe));
  v1::SubscribeRequest from_end;
  from_end.set_customer("orsted-dk");
  from_end.set_origin(v1::SUBSCRIBE_START_END);
  w.Write("subscribe_from_end", RequestInput(kSubscribe, from_end));
  v1::SubscribeRequest partitioned;
  partitioned.set_customer("orsted-dk");
  partitioned.set_checkpoint("warehouse-loader");
  partitioned.set_checkpoint_default(v1::SUBSCRIBE_START_END);
  partitioned.mutable_partition()->set_index(2);
  partitioned.mutable_partition()->set_count(4);
  partitioned.add_stream_prefixes("contract/");
  partitioned.add_event_types("NominationResponseReceived");
  w.Write("subscribe_partition_checkpoint",
          RequestInput(kSubscribe, partitioned));
}

}  // namespace
}  // namespace evstore::fuzz

int main(int argc, char** argv) {
  using namespace evstore::fuzz;
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  const fs::path root(argv[1]);
  CorpusWriter keys(root, "key_format");
  WriteKeyFormatSeeds(keys);
  CorpusWriter meta(root, "meta_format");
  WriteMetaFormatSeeds(meta);
  CorpusWriter records(root, "record_codec");
  WriteRecordCodecSeeds(records);
  CorpusWriter requests(root, "request_validation");
  WriteRequestSeeds(requests);
  std::printf(
      "wrote %d seeds to %s\n",
      keys.written() + meta.written() + records.written() + requests.written(),
      root.c_str());
  return 0;
}
