// Retention and stream deletion of the RocksDB event log: the policies, the
// retention thread and its segment drops, and DeleteStream.
// docs/retention.md describes the semantics.
#include <pthread.h>

#include <algorithm>
#include <future>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "storage/absl_string_view.h"
#include "storage/key_format.h"
#include "storage/record_codec.h"
#include "storage/rocksdb_event_log.h"

namespace evstore {
namespace {

absl::Status ReadFailure(const rocksdb::Status& s, std::string_view what) {
  return absl::UnavailableError(absl::StrCat(AsAbsl(what), ": ", s.ToString()));
}

struct StoredSegment {
  uint64_t segment = 0;
  keys::SegmentRecord record;
};

}  // namespace

absl::Status RocksEventLog::SetRetention(std::string_view customer,
                                         const CustomerRetention& retention) {
  if (absl::Status s = ValidateCustomerRetention(retention); !s.ok()) return s;
  const std::optional<CustomerKey> key = directory_.Find(customer);
  if (!key) {
    return absl::NotFoundError(
        absl::StrCat("customer \"", AsAbsl(customer), "\" does not exist"));
  }
  // Waits for drops selected under the previous policy: once this returns,
  // nothing is dropped under it.
  MutexLock drop_lock(&drop_mu_);
  return retention_->Set(*key, retention);
}

FeedPosition RocksEventLog::FirstRetained(std::string_view customer) {
  const std::optional<CustomerKey> key = directory_.Find(customer);
  return key ? retention_->FirstRetained(*key) : FeedPosition(1);
}

void RocksEventLog::DeleteStream(std::string_view customer,
                                 std::string_view stream,
                                 ExpectedRevision expected, bool tombstone,
                                 AppendCallback done) {
  AppendBatch batch;
  batch.customer = std::string(customer);
  batch.kind = AppendBatch::Kind::kDeleteStream;
  batch.tombstone = tombstone;
  batch.writes.push_back(StreamWrite{std::string(stream), expected, {}});
  committer_->Enqueue(
      std::move(batch),
      [this, name = std::string(customer),
       done = std::move(done)](absl::StatusOr<AppendResult> result) mutable {
        if (result.ok() && result->last_position.value() > 0) {
          // The live tail may still hold removed events: later readers of
          // those positions go to disk, where they are gone.
          Tail(name)->EvictThrough(result->last_position);
        }
        done(std::move(result));
      });
}

absl::StatusOr<AppendResult> RocksEventLog::CommitDrop(
    const std::string& customer, SegmentDrop drop) {
  AppendBatch batch;
  batch.customer = customer;
  batch.kind = AppendBatch::Kind::kDropSegment;
  batch.drop = std::make_shared<const SegmentDrop>(std::move(drop));
  std::promise<absl::StatusOr<AppendResult>> promise;
  std::future<absl::StatusOr<AppendResult>> future = promise.get_future();
  committer_->Enqueue(std::move(batch),
                      [&promise](absl::StatusOr<AppendResult> result) {
                        promise.set_value(std::move(result));
                      });
  return future.get();
}

absl::StatusOr<SegmentDrop> RocksEventLog::PlanSegmentDrop(
    CustomerKey customer, const keys::SegmentRecord& record, uint64_t segment) {
  SegmentDrop drop;
  drop.customer = customer;
  drop.segment = segment;
  drop.first_position = record.first_position;
  drop.last_position = record.last_position;

  // The segment's events: their ids and streams.
  const std::string lower = keys::EventKey(customer, record.first_position);
  const std::string upper =
      keys::EventKey(customer, record.last_position.Next());
  rocksdb::Slice lower_slice(lower);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions options;
  options.iterate_lower_bound = &lower_slice;
  options.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> events(
      rocks_.db->NewIterator(options, rocks_.events));
  absl::flat_hash_set<std::string> streams;
  for (events->SeekToFirst(); events->Valid(); events->Next()) {
    std::optional<keys::EventKeyParts> parts =
        keys::ParseEventKey(events->key().ToStringView());
    if (!parts) return absl::DataLossError("malformed event key");
    absl::StatusOr<codec::EventView> view = codec::DecodeEvent(
        customer, parts->position, events->value().ToStringView());
    if (!view.ok()) return view.status();
    drop.id_keys.push_back(keys::IdKey(customer, view->id));
    streams.emplace(view->stream);
    ++drop.events;
  }
  if (!events->status().ok()) {
    return ReadFailure(events->status(), "reading a segment");
  }

  // Their runs that end in the dropped range (older segments are gone
  // already); a stream left without runs gets an end marker.
  for (const std::string& stream : streams) {
    const std::string prefix = keys::StreamRunPrefix(customer, stream);
    std::string end = prefix;
    end.back() = '\x01';
    rocksdb::Slice prefix_slice(prefix);
    rocksdb::Slice end_slice(end);
    rocksdb::ReadOptions run_options;
    run_options.iterate_lower_bound = &prefix_slice;
    run_options.iterate_upper_bound = &end_slice;
    std::unique_ptr<rocksdb::Iterator> runs(
        rocks_.db->NewIterator(run_options, rocks_.streams));
    bool all_removed = true;
    std::optional<StreamRevision> last_removed;
    for (runs->SeekToFirst(); runs->Valid(); runs->Next()) {
      if (keys::ParseStreamEndMarker(runs->value().ToStringView())) continue;
      std::optional<StreamRevision> first = keys::ParseStreamRunKeyRevision(
          runs->key().ToStringView(), prefix.size());
      std::optional<keys::StreamRun> run =
          first
              ? keys::ParseStreamRunValue(*first, runs->value().ToStringView())
              : std::nullopt;
      if (!run) return absl::DataLossError("malformed stream index entry");
      if (run->PositionOf(run->last_revision()) > record.last_position) {
        all_removed = false;
        break;
      }
      drop.run_keys.emplace_back(runs->key().ToStringView());
      last_removed = run->last_revision();
    }
    if (!runs->status().ok()) {
      return ReadFailure(runs->status(), "reading the stream index");
    }
    if (all_removed && last_removed) {
      std::string marker_key =
          keys::StreamRunKey(customer, stream, *last_removed);
      std::erase(drop.run_keys, marker_key);
      drop.markers.emplace_back(std::move(marker_key),
                                keys::EncodeStreamEndMarker(false));
    }
  }
  return drop;
}

absl::StatusOr<std::pair<FeedPosition, FeedPosition>>
RocksEventLog::DropSegments(CustomerKey key, const std::string& name,
                            FeedPosition head, RetentionRound* round) {
  // The policy is read here, not taken from the round's list (which may be
  // older than this customer's turn), and the lock is held until the drops
  // are committed: a SetRetention that returned is the policy they follow.
  MutexLock drop_lock(&drop_mu_);
  FeedPosition dropped_from;
  FeedPosition dropped_to;
  const CustomerRetention policy = retention_->Get(key);
  if (policy.KeepsEverything()) return std::pair(dropped_from, dropped_to);

  std::vector<StoredSegment> stored;
  const std::string begin = keys::CustomerSegmentsBegin(key);
  const std::string end = keys::CustomerSegmentsEnd(key);
  rocksdb::Slice end_slice(end);
  rocksdb::ReadOptions options;
  options.iterate_upper_bound = &end_slice;
  std::unique_ptr<rocksdb::Iterator> it(
      rocks_.db->NewIterator(options, rocks_.meta));
  for (it->Seek(begin); it->Valid(); it->Next()) {
    std::optional<uint64_t> segment =
        keys::ParseSegmentKeyNumber(it->key().ToStringView());
    std::optional<keys::SegmentRecord> record =
        keys::ParseSegmentRecord(it->value().ToStringView());
    if (!segment || !record) {
      return absl::DataLossError("malformed segment record");
    }
    stored.push_back({*segment, *record});
  }
  if (!it->status().ok()) {
    return ReadFailure(it->status(), "reading the segment records");
  }
  // The segment holding the visible head, and everything after it, stay.
  uint64_t head_segment = 0;
  std::vector<SegmentSummary> summaries;
  for (const StoredSegment& s : stored) {
    if (s.record.first_position <= head) head_segment = s.segment;
    summaries.push_back(
        {s.segment, s.record.max_recorded_at_micros, s.record.bytes});
  }
  const std::vector<uint64_t> drops = SegmentsToDrop(
      summaries, head_segment, policy, absl::GetCurrentTimeNanos() / 1000,
      stored_bytes_.Get(key));
  for (uint64_t segment : drops) {
    const auto s = std::find_if(
        stored.begin(), stored.end(),
        [segment](const StoredSegment& x) { return x.segment == segment; });
    absl::StatusOr<SegmentDrop> plan = PlanSegmentDrop(key, s->record, segment);
    if (!plan.ok()) return plan.status();
    absl::StatusOr<AppendResult> done = CommitDrop(name, *std::move(plan));
    // Deleted (or deleted and created again) meanwhile: nothing to drop.
    if (absl::IsNotFound(done.status())) break;
    if (!done.ok()) return done.status();
    if (done->last_position.value() == 0) continue;  // dropped already
    if (dropped_from.value() == 0) dropped_from = done->first_position;
    dropped_to = done->last_position;
    ++round->segments;
    round->events += done->removed_events;
    if (options_.metrics_sink != nullptr) {
      options_.metrics_sink->OnSegmentDropped(name, done->removed_events);
    }
  }
  return std::pair(dropped_from, dropped_to);
}

absl::StatusOr<RetentionRound> RocksEventLog::EnforceRetention() {
  MutexLock enforce_lock(&enforce_mu_);
  RetentionRound round;
  absl::flat_hash_map<CustomerKey, std::string> names;
  for (CustomerEntry& entry : directory_.List("", SIZE_MAX)) {
    names.emplace(entry.key, std::move(entry.name));
  }
  for (const auto& candidate : retention_->Policies()) {
    const CustomerKey key = candidate.first;
    auto name = names.find(key);
    if (name == names.end()) continue;
    const FeedPosition head = Head(name->second);
    if (head.value() == 0) continue;
    absl::StatusOr<std::pair<FeedPosition, FeedPosition>> dropped =
        DropSegments(key, name->second, head, &round);
    if (!dropped.ok()) return dropped.status();
    const auto [dropped_from, dropped_to] = *dropped;
    if (dropped_from.value() == 0) continue;
    // Reclaim the disk space now rather than whenever compaction passes by.
    rocksdb::CompactRangeOptions compact;
    compact.bottommost_level_compaction =
        rocksdb::BottommostLevelCompaction::kForceOptimized;
    const std::string events_begin = keys::EventKey(key, dropped_from);
    const std::string events_end = keys::EventKey(key, dropped_to.Next());
    const std::string customer_begin = keys::CustomerRangeBegin(key);
    const std::string customer_end = keys::CustomerRangeEnd(key);
    rocksdb::Slice eb(events_begin), ee(events_end);
    rocksdb::Slice cb(customer_begin), ce(customer_end);
    for (const auto& [family, b, e] :
         {std::tuple{rocks_.events, &eb, &ee}, std::tuple{rocks_.ids, &cb, &ce},
          std::tuple{rocks_.streams, &cb, &ce}}) {
      rocksdb::Status s = rocks_.db->CompactRange(compact, family, b, e);
      if (!s.ok()) return ReadFailure(s, "compacting dropped segments");
    }
    // The write-ahead log still holds the dropped events until every family
    // that wrote into it is flushed (meta is the last one).
    if (rocksdb::Status s =
            rocks_.db->Flush(rocksdb::FlushOptions(), rocks_.meta);
        !s.ok()) {
      return ReadFailure(s, "flushing after dropping segments");
    }
  }
  return round;
}

void RocksEventLog::StartRetention() {
  if (options_.retention_interval_ms == 0) return;
  retention_thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "evstore-retain");
    const absl::Duration interval =
        absl::Milliseconds(options_.retention_interval_ms);
    for (;;) {
      {
        MutexLock lock(&retention_mu_);
        if (retention_mu_.AwaitWithTimeout(
                absl::Condition(&retention_stopping_), interval)) {
          return;
        }
      }
      // A failed round (e.g. the log fail-stopped) is retried next time;
      // WriteHealth reports storage failures.
      absl::StatusOr<RetentionRound> round = EnforceRetention();
      if (!round.ok() && options_.metrics_sink != nullptr) {
        options_.metrics_sink->OnRetentionFailed(round.status());
      }
    }
  });
}

void RocksEventLog::StopRetention() {
  {
    MutexLock lock(&retention_mu_);
    retention_stopping_ = true;
  }
  if (retention_thread_.joinable()) retention_thread_.join();
}

}  // namespace evstore
