// AppendSequencer: removing events (EventLog::DeleteStream and retention's
// segment drops). Both run on the commit thread in a group of their own, so
// they see every earlier group and no later one.
#include <algorithm>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "storage/absl_string_view.h"
#include "storage/append_sequencer.h"
#include "storage/names.h"
#include "storage/segment_drop.h"

namespace evstore {
namespace {

absl::Status ReadFailure(const rocksdb::Status& s, std::string_view what) {
  return absl::UnavailableError(absl::StrCat(AsAbsl(what), ": ", s.ToString()));
}

}  // namespace

absl::Status AppendSequencer::RemoveFromSegment(CustomerKey customer,
                                                CustomerState* state,
                                                uint64_t segment,
                                                uint64_t bytes) {
  if (state->head.value() > 0 && state->segment == segment) {
    state->record.bytes -= std::min(state->record.bytes, bytes);
    state->record_dirty = true;
    group_removed_bytes_[customer] += bytes;
    return absl::OkStatus();
  }
  const std::string key = keys::SegmentKey(customer, segment);
  std::string value;
  rocksdb::Status s =
      rocks_->db->Get(rocksdb::ReadOptions(), rocks_->meta, key, &value);
  if (s.IsNotFound()) return absl::OkStatus();  // dropped by retention
  if (!s.ok()) return ReadFailure(s, "reading the segment index");
  std::optional<keys::SegmentRecord> record = keys::ParseSegmentRecord(value);
  if (!record) return absl::DataLossError("malformed segment record");
  const uint64_t removed = std::min(record->bytes, bytes);
  record->bytes -= removed;
  group_removed_bytes_[customer] += removed;
  Put(kMeta, key, keys::EncodeSegmentRecord(*record));
  return absl::OkStatus();
}

SequencedAppend AppendSequencer::DeleteStream(const AppendBatch& batch) {
  SequencedAppend sequenced;
  if (batch.writes.size() != 1) {
    sequenced.result = absl::InvalidArgumentError("one stream is required");
    return sequenced;
  }
  const StreamWrite& write = batch.writes[0];
  if (absl::Status s = ValidateStreamName(write.stream, "stream"); !s.ok()) {
    sequenced.result = s;
    return sequenced;
  }
  const std::optional<CustomerKey> found = directory_->Find(batch.customer);
  if (!found) {
    sequenced.result = absl::NotFoundError(
        absl::StrCat("customer \"", batch.customer, "\" does not exist"));
    return sequenced;
  }
  const CustomerKey customer = *found;
  absl::StatusOr<StreamHeadState> head = StreamHead(customer, write.stream);
  if (!head.ok()) {
    sequenced.result = head.status();
    return sequenced;
  }
  AppendResult result;
  result.recorded_at_micros = recorded_at_micros_;
  result.streams.push_back({write.stream, {}, head->revision});
  if (head->tombstoned) {
    if (!batch.tombstone) {
      sequenced.result = absl::FailedPreconditionError(absl::StrCat(
          "stream \"", write.stream,
          "\" is tombstoned (deleted for ever at revision ",
          head->revision.value(), "); it has nothing left to truncate"));
      return sequenced;
    }
    result.tombstoned = true;  // Tombstoning again: nothing to do.
    sequenced.result = std::move(result);
    return sequenced;
  }
  if (write.expected.kind == ExpectedRevision::Kind::kExact &&
      write.expected.revision != head->revision) {
    sequenced.result = absl::FailedPreconditionError(
        absl::StrCat("stream \"", write.stream, "\": expected revision ",
                     write.expected.revision.value(),
                     ", but the stream's actual revision is ",
                     head->revision.value(), "; nothing was deleted"));
    return sequenced;
  }
  absl::StatusOr<CustomerState*> state = LoadCustomer(customer);
  if (!state.ok()) {
    sequenced.result = state.status();
    return sequenced;
  }

  // Every run of the stream: its events are range-deleted, its key deleted.
  const std::string prefix = keys::StreamRunPrefix(customer, write.stream);
  std::string upper = prefix;
  upper.back() = '\x01';  // the byte after the 0x00 terminator
  rocksdb::Slice lower_slice(prefix);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions run_options;
  run_options.iterate_lower_bound = &lower_slice;
  run_options.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> runs(
      rocks_->db->NewIterator(run_options, rocks_->streams));
  absl::flat_hash_map<uint64_t, uint64_t> segment_bytes;
  FeedPosition highest;
  for (runs->SeekToFirst(); runs->Valid(); runs->Next()) {
    const std::string_view key = runs->key().ToStringView();
    group_deletes_.emplace_back(kStreams, std::string(key));
    if (keys::ParseStreamEndMarker(runs->value().ToStringView())) continue;
    std::optional<StreamRevision> first =
        keys::ParseStreamRunKeyRevision(key, prefix.size());
    std::optional<keys::StreamRun> run =
        first ? keys::ParseStreamRunValue(*first, runs->value().ToStringView())
              : std::nullopt;
    if (!run) {
      sequenced.result = absl::DataLossError("malformed stream index entry");
      return sequenced;
    }
    const std::string begin = keys::EventKey(customer, run->first_position);
    const std::string end =
        keys::EventKey(customer, run->first_position.Plus(run->count));
    rocksdb::Slice begin_slice(begin);
    rocksdb::Slice end_slice(end);
    rocksdb::ReadOptions event_options;
    event_options.iterate_lower_bound = &begin_slice;
    event_options.iterate_upper_bound = &end_slice;
    std::unique_ptr<rocksdb::Iterator> events(
        rocks_->db->NewIterator(event_options, rocks_->events));
    for (events->SeekToFirst(); events->Valid(); events->Next()) {
      std::optional<keys::EventKeyParts> parts =
          keys::ParseEventKey(events->key().ToStringView());
      if (!parts) {
        sequenced.result = absl::DataLossError("malformed event key");
        return sequenced;
      }
      segment_bytes[(parts->position.value() - 1) / segment_events_] +=
          events->value().size();
      ++result.removed_events;
      highest = std::max(highest, parts->position);
    }
    if (!events->status().ok()) {
      sequenced.result = ReadFailure(events->status(), "reading events");
      return sequenced;
    }
    group_range_deletes_.push_back(
        {kEvents, keys::EventRangeDeleteBegin(customer, run->first_position),
         end});
  }
  if (!runs->status().ok()) {
    sequenced.result = ReadFailure(runs->status(), "reading the stream index");
    return sequenced;
  }
  for (const auto& [segment, bytes] : segment_bytes) {
    if (absl::Status s = RemoveFromSegment(customer, *state, segment, bytes);
        !s.ok()) {
      sequenced.result = s;
      return sequenced;
    }
  }
  // The marker keeps the revision numbering (and closes the stream).
  Put(kStreams, keys::StreamRunKey(customer, write.stream, head->revision),
      keys::EncodeStreamEndMarker(batch.tombstone));
  stream_heads_[prefix] = StreamHeadState{head->revision, batch.tombstone};
  result.tombstoned = batch.tombstone;
  result.last_position = highest;
  sequenced.customer = batch.customer;
  sequenced.result = std::move(result);
  return sequenced;
}

SequencedAppend AppendSequencer::DropSegment(const AppendBatch& batch) {
  SequencedAppend sequenced;
  const std::optional<CustomerKey> found = directory_->Find(batch.customer);
  if (!found || batch.drop == nullptr || *found != batch.drop->customer) {
    sequenced.result = absl::NotFoundError(
        absl::StrCat("customer \"", batch.customer, "\" does not exist"));
    return sequenced;
  }
  const CustomerKey customer = *found;
  const SegmentDrop& drop = *batch.drop;
  absl::StatusOr<CustomerState*> state = LoadCustomer(customer);
  if (!state.ok()) {
    sequenced.result = state.status();
    return sequenced;
  }
  if ((*state)->head.value() == 0 || (*state)->segment <= drop.segment) {
    sequenced.result = absl::FailedPreconditionError(
        "the segment holding the head is never dropped");
    return sequenced;
  }
  const std::string segment_key = keys::SegmentKey(customer, drop.segment);
  std::string value;
  rocksdb::Status s = rocks_->db->Get(rocksdb::ReadOptions(), rocks_->meta,
                                      segment_key, &value);
  AppendResult result;
  result.recorded_at_micros = recorded_at_micros_;
  if (s.IsNotFound()) {  // dropped already
    sequenced.result = std::move(result);
    return sequenced;
  }
  if (!s.ok()) {
    sequenced.result = ReadFailure(s, "reading the segment index");
    return sequenced;
  }
  std::optional<keys::SegmentRecord> record = keys::ParseSegmentRecord(value);
  if (!record) {
    sequenced.result = absl::DataLossError("malformed segment record");
    return sequenced;
  }
  group_range_deletes_.push_back(
      {kEvents, keys::EventRangeDeleteBegin(customer, drop.first_position),
       keys::EventKey(customer, drop.last_position.Next())});
  for (const std::string& key : drop.id_keys) {
    group_deletes_.emplace_back(kIds, key);
  }
  for (const std::string& key : drop.run_keys) {
    group_deletes_.emplace_back(kStreams, key);
  }
  for (const auto& [key, marker] : drop.markers) {
    // A DeleteStream since the drop was planned may have put its own
    // marker (a tombstone) there: keep it.
    std::string current;
    rocksdb::Status m =
        rocks_->db->Get(rocksdb::ReadOptions(), rocks_->streams, key, &current);
    if (m.ok() && keys::ParseStreamEndMarker(current)) continue;
    Put(kStreams, key, marker);
  }
  group_deletes_.emplace_back(kMeta, segment_key);
  group_removed_bytes_[customer] += record->bytes;
  retention_->RaiseFirstRetained(customer, drop.last_position.Next());
  result.first_position = drop.first_position;
  result.last_position = drop.last_position;
  result.removed_events = drop.events;
  sequenced.result = std::move(result);
  return sequenced;
}

}  // namespace evstore
