#include "storage/append_sequencer.h"

#include <algorithm>
#include <cassert>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "storage/absl_string_view.h"
#include "storage/names.h"
#include "storage/record_codec.h"

namespace evstore {
namespace {

absl::Status ToStatus(const rocksdb::Status& s, std::string_view what) {
  return absl::UnavailableError(absl::StrCat(AsAbsl(what), ": ", s.ToString()));
}

std::string WriteLabel(size_t index, std::string_view stream) {
  return absl::StrCat("writes[", index, "] (stream \"", AsAbsl(stream), "\")");
}

}  // namespace

AppendSequencer::AppendSequencer(
    RocksHandles* rocks, CustomerDirectory* directory, uint64_t segment_events,
    size_t stream_cache_limit, bool auto_create_customers,
    StoredBytes* stored_bytes, RetentionStore* retention)
    : rocks_(rocks),
      directory_(directory),
      segment_events_(segment_events),
      stream_cache_limit_(stream_cache_limit),
      auto_create_customers_(auto_create_customers),
      stored_bytes_(stored_bytes),
      retention_(retention) {}

void AppendSequencer::SetFeedHead(CustomerKey customer, FeedPosition head) {
  customers_[customer].head = head;
}

void AppendSequencer::BeginGroup(int64_t recorded_at_micros) {
  recorded_at_micros_ = recorded_at_micros;
  // Safe only between groups: every cached head is then also in RocksDB.
  if (stream_heads_.size() > stream_cache_limit_) stream_heads_.clear();
}

void AppendSequencer::Put(Family family, std::string key, std::string value) {
  group_records_[family].emplace_back(std::move(key), std::move(value));
}

void AppendSequencer::SealGroup(rocksdb::WriteBatch* out) {
  for (auto& [customer, state] : customers_) {
    if (!state.record_dirty) continue;
    Put(kMeta, keys::SegmentKey(customer, state.segment),
        keys::EncodeSegmentRecord(state.record));
    state.record_dirty = false;
  }
  rocksdb::ColumnFamilyHandle* const handles[kFamilies] = {
      rocks_->events, rocks_->streams, rocks_->ids, rocks_->meta};
  for (const auto& [family, key] : group_deletes_) {
    out->Delete(handles[family], key);
  }
  group_deletes_.clear();
  for (int family = 0; family < kFamilies; ++family) {
    std::vector<Record>& records = group_records_[family];
    // Stable: a key put twice in one group (a segment record) keeps its
    // last value, as it would unsorted.
    std::stable_sort(
        records.begin(), records.end(),
        [](const Record& a, const Record& b) { return a.first < b.first; });
    for (const Record& record : records) {
      out->Put(handles[family], record.first, record.second);
    }
    records.clear();
  }
  for (const auto& [name, key] : group_name_deletes_) {
    out->Delete(rocks_->meta, keys::CustomerByNameKey(name));
    out->Delete(rocks_->meta, key);
  }
  group_name_deletes_.clear();
  for (const RangeDelete& range : group_range_deletes_) {
    out->DeleteRange(handles[range.family], range.begin, range.end);
  }
  group_range_deletes_.clear();
}

void AppendSequencer::EndGroup() {
  for (const auto& [customer, bytes] : group_stored_bytes_) {
    stored_bytes_->Add(customer, bytes);
  }
  group_stored_bytes_.clear();
  for (const auto& [customer, bytes] : group_removed_bytes_) {
    stored_bytes_->Subtract(customer, bytes);
  }
  group_removed_bytes_.clear();
  group_ids_.clear();
  group_results_.clear();
  streams_iterator_.reset();
}

absl::Status AppendSequencer::CheckShape(const AppendBatch& batch) const {
  if (absl::Status s = ValidateCustomerName(batch.customer); !s.ok()) return s;
  if (batch.writes.empty()) {
    return absl::InvalidArgumentError("writes: at least one is required");
  }
  absl::flat_hash_set<std::string_view> streams;
  absl::flat_hash_set<EventId> ids;
  size_t total = 0;
  for (size_t i = 0; i < batch.writes.size(); ++i) {
    const StreamWrite& write = batch.writes[i];
    const std::string field = absl::StrCat("writes[", i, "].stream");
    if (absl::Status s = ValidateStreamName(write.stream, field); !s.ok()) {
      return s;
    }
    if (!streams.insert(write.stream).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ": stream \"", write.stream,
          "\" appears more than once; put all its events in one write"));
    }
    if (write.events.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("writes[", i, "].events: at least one is required"));
    }
    for (size_t j = 0; j < write.events.size(); ++j) {
      if (!ids.insert(write.events[j].id).second) {
        return absl::InvalidArgumentError(absl::StrCat(
            "writes[", i, "].events[", j, "].id: ",
            write.events[j].id.ToString(), " appears more than once"));
      }
    }
    total += write.events.size();
  }
  if (total > UINT32_MAX) {
    return absl::ResourceExhaustedError("too many events in one append");
  }
  return absl::OkStatus();
}

absl::Status AppendSequencer::FindIds(
    CustomerKey customer, const AppendBatch& batch,
    std::vector<std::optional<FeedPosition>>* hits) {
  std::vector<std::string> id_keys;
  for (const StreamWrite& write : batch.writes) {
    for (const ProposedEvent& event : write.events) {
      id_keys.push_back(keys::IdKey(customer, event.id));
    }
  }
  hits->assign(id_keys.size(), std::nullopt);
  std::vector<rocksdb::Slice> to_read;
  std::vector<size_t> read_index;
  for (size_t i = 0; i < id_keys.size(); ++i) {
    if (auto it = group_ids_.find(id_keys[i]); it != group_ids_.end()) {
      (*hits)[i] = it->second;
    } else {
      to_read.emplace_back(id_keys[i]);
      read_index.push_back(i);
    }
  }
  if (to_read.empty()) return absl::OkStatus();
  std::vector<rocksdb::PinnableSlice> values(to_read.size());
  std::vector<rocksdb::Status> statuses(to_read.size());
  rocks_->db->MultiGet(rocksdb::ReadOptions(), rocks_->ids, to_read.size(),
                       to_read.data(), values.data(), statuses.data());
  for (size_t k = 0; k < to_read.size(); ++k) {
    if (statuses[k].IsNotFound()) continue;
    if (!statuses[k].ok()) return ToStatus(statuses[k], "reading the id index");
    std::optional<FeedPosition> position =
        keys::ParsePosition(values[k].ToStringView());
    if (!position) return absl::DataLossError("malformed id index entry");
    (*hits)[read_index[k]] = *position;
  }
  return absl::OkStatus();
}

absl::StatusOr<AppendResult> AppendSequencer::DuplicateResult(
    CustomerKey customer, const AppendBatch& batch,
    const std::vector<std::optional<FeedPosition>>& hits) {
  const auto different = [] {
    return absl::AlreadyExistsError(
        "every event id of this append is already recorded, but by a "
        "different append (other streams, order or events); nothing was "
        "written");
  };
  const FeedPosition first = *hits[0];
  for (size_t i = 0; i < hits.size(); ++i) {
    if (*hits[i] != first.Plus(i)) return different();
  }
  const FeedPosition last = first.Plus(hits.size() - 1);

  if (auto it = group_results_.find(std::make_pair(customer, first));
      it != group_results_.end()) {
    const AppendResult& original = it->second;
    if (original.last_position != last ||
        original.streams.size() != batch.writes.size()) {
      return different();
    }
    for (size_t i = 0; i < batch.writes.size(); ++i) {
      const StreamAppendResult& s = original.streams[i];
      if (s.stream != batch.writes[i].stream ||
          s.last_revision.value() - s.first_revision.value() + 1 !=
              batch.writes[i].events.size()) {
        return different();
      }
    }
    AppendResult result = original;
    result.duplicate = true;
    return result;
  }

  // The original is in RocksDB: read its events back.
  std::vector<std::string> event_keys;
  event_keys.reserve(hits.size());
  for (size_t i = 0; i < hits.size(); ++i) {
    event_keys.push_back(keys::EventKey(customer, first.Plus(i)));
  }
  std::vector<rocksdb::Slice> slices(event_keys.begin(), event_keys.end());
  std::vector<rocksdb::PinnableSlice> values(slices.size());
  std::vector<rocksdb::Status> statuses(slices.size());
  rocks_->db->MultiGet(rocksdb::ReadOptions(), rocks_->events, slices.size(),
                       slices.data(), values.data(), statuses.data());
  AppendResult result;
  result.first_position = first;
  result.last_position = last;
  result.duplicate = true;
  bool removed = false;
  for (const rocksdb::Status& status : statuses) {
    removed = removed || status.IsNotFound();
  }
  if (removed) {
    // DeleteStream removed (some of) the events but kept their ids: the
    // retry is a duplicate whose revisions can no longer be told (0).
    for (const StreamWrite& write : batch.writes) {
      result.streams.push_back({write.stream, {}, {}});
    }
    return result;
  }
  size_t k = 0;
  for (const StreamWrite& write : batch.writes) {
    StreamAppendResult stream_result{write.stream, {}, {}};
    for (size_t j = 0; j < write.events.size(); ++j, ++k) {
      if (!statuses[k].ok()) {
        return absl::DataLossError(absl::StrCat(
            "the id index points at feed position ", first.Plus(k).value(),
            " which cannot be read: ", statuses[k].ToString()));
      }
      absl::StatusOr<codec::EventView> view =
          codec::DecodeEvent(customer, first.Plus(k), values[k].ToStringView());
      if (!view.ok()) return view.status();
      if (view->stream != write.stream || view->id != write.events[j].id ||
          view->index_in_append != k || view->append_size != hits.size()) {
        return different();
      }
      if (j == 0) {
        stream_result.first_revision = view->revision;
      } else if (view->revision != stream_result.last_revision.Next()) {
        return different();
      }
      stream_result.last_revision = view->revision;
      result.recorded_at_micros = view->recorded_at_micros;
    }
    result.streams.push_back(std::move(stream_result));
  }
  return result;
}

rocksdb::Iterator* AppendSequencer::StreamsIterator() {
  if (!streams_iterator_) {
    streams_iterator_.reset(
        rocks_->db->NewIterator(rocksdb::ReadOptions(), rocks_->streams));
  }
  return streams_iterator_.get();
}

absl::StatusOr<AppendSequencer::StreamHeadState> AppendSequencer::StreamHead(
    CustomerKey customer, std::string_view stream) {
  std::string prefix = keys::StreamRunPrefix(customer, stream);
  if (auto it = stream_heads_.find(prefix); it != stream_heads_.end()) {
    return it->second;
  }
  rocksdb::Iterator* iter = StreamsIterator();
  iter->SeekForPrev(
      keys::StreamRunKey(customer, stream, StreamRevision(UINT64_MAX)));
  StreamHeadState head;
  if (iter->Valid() && iter->key().starts_with(prefix)) {
    std::optional<StreamRevision> first = keys::ParseStreamRunKeyRevision(
        iter->key().ToStringView(), prefix.size());
    std::optional<bool> marker =
        keys::ParseStreamEndMarker(iter->value().ToStringView());
    std::optional<keys::StreamRun> run =
        first && !marker
            ? keys::ParseStreamRunValue(*first, iter->value().ToStringView())
            : std::nullopt;
    if (first && marker) {
      head = StreamHeadState{*first, *marker};
    } else if (!run) {
      return absl::DataLossError(absl::StrCat(
          "malformed stream index entry for \"", AsAbsl(stream), "\""));
    } else {
      head.revision = run->last_revision();
    }
  } else if (!iter->status().ok()) {
    return ToStatus(iter->status(), "reading the stream index");
  }
  stream_heads_.emplace(std::move(prefix), head);
  return head;
}

absl::Status AppendSequencer::CheckExpected(size_t write_index,
                                            const StreamWrite& write,
                                            StreamRevision actual) const {
  const ExpectedRevision& expected = write.expected;
  const std::string label = WriteLabel(write_index, write.stream);
  switch (expected.kind) {
    case ExpectedRevision::Kind::kAny:
      return absl::OkStatus();
    case ExpectedRevision::Kind::kNoStream:
      if (actual.value() == 0) return absl::OkStatus();
      return absl::FailedPreconditionError(absl::StrCat(
          label, ": expected no stream, but the stream exists at revision ",
          actual.value()));
    case ExpectedRevision::Kind::kStreamExists:
      if (actual.value() > 0) return absl::OkStatus();
      return absl::FailedPreconditionError(
          absl::StrCat(label,
                       ": expected the stream to exist, but it has no events "
                       "(revision 0)"));
    case ExpectedRevision::Kind::kExact:
      if (actual == expected.revision) return absl::OkStatus();
      return absl::FailedPreconditionError(absl::StrCat(
          label, ": expected revision ", expected.revision.value(),
          ", but the stream's actual revision is ", actual.value()));
  }
  return absl::InternalError("unknown expected-revision kind");
}

absl::StatusOr<AppendSequencer::CustomerState*> AppendSequencer::LoadCustomer(
    CustomerKey customer) {
  CustomerState& state = customers_[customer];
  if (!state.record_loaded && state.head.value() > 0) {
    state.segment = (state.head.value() - 1) / segment_events_;
    std::string value;
    rocksdb::Status s =
        rocks_->db->Get(rocksdb::ReadOptions(), rocks_->meta,
                        keys::SegmentKey(customer, state.segment), &value);
    if (s.ok()) {
      std::optional<keys::SegmentRecord> record =
          keys::ParseSegmentRecord(value);
      if (!record) return absl::DataLossError("malformed segment record");
      state.record = *record;
    } else if (!s.IsNotFound()) {
      return ToStatus(s, "reading the segment index");
    } else {
      return absl::DataLossError(
          absl::StrCat("segment ", state.segment, " of customer #",
                       customer.value(), " holding its head position ",
                       state.head.value(), " has no index record"));
    }
  }
  state.record_loaded = true;
  return &state;
}

void AppendSequencer::AddToSegment(CustomerKey customer, CustomerState* state,
                                   FeedPosition position, uint64_t bytes) {
  const uint64_t segment = (position.value() - 1) / segment_events_;
  const bool starts_segment = position.value() == segment * segment_events_ + 1;
  if (starts_segment) {
    if (state->record_dirty) {
      Put(kMeta, keys::SegmentKey(customer, state->segment),
          keys::EncodeSegmentRecord(state->record));
    }
    state->segment = segment;
    state->record = keys::SegmentRecord{position, position, recorded_at_micros_,
                                        recorded_at_micros_, 0};
  }
  assert(state->segment == segment);
  state->record.last_position = position;
  state->record.max_recorded_at_micros = recorded_at_micros_;
  state->record.bytes += bytes;
  group_stored_bytes_[customer] += bytes;
  state->record_dirty = true;
}

CustomerKey AppendSequencer::AddCustomer(const std::string& name) {
  const CustomerKey customer = directory_->NextKey();
  directory_->Add(name, customer, recorded_at_micros_);
  Put(kMeta, keys::CustomerByNameKey(name), keys::EncodeCustomerKey(customer));
  Put(kMeta, keys::CustomerByKeyKey(customer),
      keys::EncodeCustomerRecord(name, recorded_at_micros_));
  // Deleted earlier in this group: the new records replace the old ones.
  group_name_deletes_.erase(name);
  // The high-water mark outlives deleted customers: keys are never reused.
  Put(kMeta, keys::kNextCustomerKey, keys::EncodeCustomerKey(customer.Next()));
  customers_[customer].head = FeedPosition(0);
  return customer;
}

SequencedAppend AppendSequencer::CreateCustomer(const AppendBatch& batch) {
  SequencedAppend sequenced;
  if (absl::Status s = ValidateCustomerName(batch.customer); !s.ok()) {
    sequenced.result = s;
  } else if (directory_->Find(batch.customer)) {
    sequenced.result = absl::AlreadyExistsError(
        absl::StrCat("customer \"", batch.customer, "\" already exists"));
  } else {
    AddCustomer(batch.customer);
    AppendResult created;
    created.recorded_at_micros = recorded_at_micros_;
    sequenced.result = std::move(created);
  }
  return sequenced;
}

SequencedAppend AppendSequencer::DeleteCustomer(const AppendBatch& batch) {
  SequencedAppend sequenced;
  const std::optional<CustomerKey> found = directory_->Find(batch.customer);
  if (!found) {
    sequenced.result = absl::NotFoundError(
        absl::StrCat("customer \"", batch.customer, "\" does not exist"));
    return sequenced;
  }
  const CustomerKey customer = *found;
  directory_->Remove(batch.customer);
  group_name_deletes_[batch.customer] = keys::CustomerByKeyKey(customer);
  for (Family family : {kEvents, kStreams, kIds}) {
    group_range_deletes_.push_back({family, keys::CustomerRangeBegin(customer),
                                    keys::CustomerRangeEnd(customer)});
  }
  group_range_deletes_.push_back({kMeta, keys::CustomerSegmentsBegin(customer),
                                  keys::CustomerSegmentsEnd(customer)});
  group_range_deletes_.push_back(
      {kMeta, keys::QuotaKey(customer), keys::QuotaKeyEnd(customer)});
  group_range_deletes_.push_back({kMeta,
                                  keys::CustomerCheckpointsBegin(customer),
                                  keys::CustomerCheckpointsEnd(customer)});
  group_range_deletes_.push_back(
      {kMeta, keys::RetentionKey(customer), keys::RetentionKeyEnd(customer)});
  retention_->Forget(customer);
  customers_.erase(customer);
  group_stored_bytes_.erase(customer);
  stored_bytes_->Remove(customer);
  // In-memory only: the cache holds stream heads of every customer.
  const std::string prefix = keys::CustomerRangeBegin(customer);
  absl::erase_if(stream_heads_, [&prefix](const auto& entry) {
    return std::string_view(entry.first).starts_with(prefix);
  });
  AppendResult deleted;
  deleted.recorded_at_micros = recorded_at_micros_;
  sequenced.result = std::move(deleted);
  return sequenced;
}

SequencedAppend AppendSequencer::Sequence(AppendBatch batch) {
  if (batch.kind == AppendBatch::Kind::kCreateCustomer) {
    return CreateCustomer(batch);
  }
  if (batch.kind == AppendBatch::Kind::kDeleteCustomer) {
    return DeleteCustomer(batch);
  }
  if (batch.kind == AppendBatch::Kind::kDeleteStream) {
    return DeleteStream(batch);
  }
  if (batch.kind == AppendBatch::Kind::kDropSegment) {
    return DropSegment(batch);
  }
  SequencedAppend sequenced;
  if (absl::Status s = CheckShape(batch); !s.ok()) {
    sequenced.result = s;
    return sequenced;
  }
  const std::optional<CustomerKey> existing = directory_->Find(batch.customer);
  if (!existing && !auto_create_customers_) {
    sequenced.result = absl::NotFoundError(absl::StrCat(
        "customer \"", batch.customer,
        "\" does not exist; create it first (Admin API CreateCustomer, "
        "`evstore customer create`); nothing was written"));
    return sequenced;
  }

  // Idempotency: all ids recorded -> the original result; some -> reject.
  if (existing) {
    std::vector<std::optional<FeedPosition>> hits;
    if (absl::Status s = FindIds(*existing, batch, &hits); !s.ok()) {
      sequenced.result = s;
      return sequenced;
    }
    size_t found = 0;
    size_t first_found = 0;
    size_t first_new = 0;
    for (size_t i = hits.size(); i-- > 0;) {
      if (hits[i]) {
        ++found;
        first_found = i;
      } else {
        first_new = i;
      }
    }
    if (found == hits.size()) {
      sequenced.result = DuplicateResult(*existing, batch, hits);
      return sequenced;
    }
    if (found > 0) {
      sequenced.result = absl::AlreadyExistsError(absl::StrCat(
          "this append mixes recorded and new event ids: event #", first_found,
          " of the append (counting across writes) is already "
          "recorded at feed position ",
          hits[first_found]->value(), ", event #", first_new,
          " is new; nothing was written"));
      return sequenced;
    }
  }

  // Optimistic concurrency, checked for every stream before anything is
  // encoded, so a rejected append adds nothing to the group.
  std::vector<StreamRevision> heads(batch.writes.size());
  for (size_t i = 0; i < batch.writes.size(); ++i) {
    if (existing) {
      absl::StatusOr<StreamHeadState> head =
          StreamHead(*existing, batch.writes[i].stream);
      if (!head.ok()) {
        sequenced.result = head.status();
        return sequenced;
      }
      if (head->tombstoned) {
        sequenced.result = absl::FailedPreconditionError(absl::StrCat(
            WriteLabel(i, batch.writes[i].stream),
            ": the stream is tombstoned (deleted for ever at revision ",
            head->revision.value(), "); nothing was written"));
        return sequenced;
      }
      heads[i] = head->revision;
    }
    if (absl::Status s = CheckExpected(i, batch.writes[i], heads[i]); !s.ok()) {
      sequenced.result = s;
      return sequenced;
    }
  }

  // Accepted: with auto_create_customers, the customer is created with its
  // first append.
  const CustomerKey customer =
      existing ? *existing : AddCustomer(batch.customer);
  absl::StatusOr<CustomerState*> state_or = LoadCustomer(customer);
  if (!state_or.ok()) {
    sequenced.result = state_or.status();
    return sequenced;
  }
  CustomerState* state = *state_or;

  size_t total = 0;
  for (const StreamWrite& write : batch.writes) total += write.events.size();
  AppendResult result;
  result.first_position = state->head.Next();
  result.recorded_at_micros = recorded_at_micros_;
  sequenced.events.reserve(total);
  FeedPosition position = state->head;
  uint32_t index_in_append = 0;
  for (size_t i = 0; i < batch.writes.size(); ++i) {
    StreamWrite& write = batch.writes[i];
    const StreamRevision first_revision = heads[i].Next();
    Put(kStreams, keys::StreamRunKey(customer, write.stream, first_revision),
        keys::EncodeStreamRunValue(position.Next(),
                                   static_cast<uint32_t>(write.events.size())));
    StreamRevision revision = heads[i];
    for (ProposedEvent& event : write.events) {
      position = position.Next();
      revision = revision.Next();
      std::string value;
      codec::EncodeEvent(
          customer, position,
          codec::EventFields{revision, recorded_at_micros_, index_in_append++,
                             static_cast<uint32_t>(total), &event.id,
                             write.stream, event.type, event.content_type,
                             &event.metadata, event.data},
          &value);
      const size_t value_size = value.size();
      Put(kEvents, keys::EventKey(customer, position), std::move(value));
      std::string id_key = keys::IdKey(customer, event.id);
      group_ids_.emplace(id_key, position);
      Put(kIds, std::move(id_key), keys::EncodePosition(position));
      AddToSegment(customer, state, position, value_size);

      auto recorded = std::make_shared<RecordedEvent>();
      recorded->customer = batch.customer;
      recorded->stream = write.stream;
      recorded->revision = revision;
      recorded->position = position;
      recorded->id = event.id;
      recorded->type = std::move(event.type);
      recorded->content_type = std::move(event.content_type);
      recorded->data = std::move(event.data);
      recorded->metadata = std::move(event.metadata);
      recorded->recorded_at_micros = recorded_at_micros_;
      sequenced.events.push_back(std::move(recorded));
    }
    stream_heads_[keys::StreamRunPrefix(customer, write.stream)] =
        StreamHeadState{revision, false};
    result.streams.push_back(
        {std::move(write.stream), first_revision, revision});
  }
  state->head = position;
  result.last_position = position;
  group_results_.emplace(std::make_pair(customer, result.first_position),
                         result);
  sequenced.customer = std::move(batch.customer);
  sequenced.result = std::move(result);
  return sequenced;
}

}  // namespace evstore
