// Opening the RocksDB event log: options, column families, format check and
// recovery of the in-memory heads.
#include <rocksdb/cache.h>
#include <rocksdb/convenience.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/memtablerep.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/sst_file_manager.h>
#include <rocksdb/sst_partitioner.h>
#include <rocksdb/table.h>

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "storage/disk_space_guard.h"
#include "storage/key_format.h"
#include "storage/rocksdb_event_log.h"

namespace evstore {
namespace {

// The memtable insert hint of the events family: the customer (first 4
// bytes) of a full event key. Only event keys are in its domain: RocksDB
// (7.x) looks a range tombstone's start key up in the same hint map but
// inserts it into the separate range-deletion skip list, so a hint taken
// from the other list corrupts the insert (an assertion in
// InlineSkipList::FindSpliceForLevel). A customer delete's range starts
// with the 4-byte customer key alone, which this keeps out of the domain.
class EventKeyCustomerHint : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "evstore.EventKeyCustomerHint"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    return rocksdb::Slice(key.data(), 4);
  }
  bool InDomain(const rocksdb::Slice& key) const override {
    return key.size() == keys::kEventKeySize;
  }
};

constexpr size_t kStreamCacheLimit = 1 << 20;
// Memtable bytes per bucket of the ids memtable (see IdsFamilyOptions). An
// entry takes about 60 bytes, so a full memtable has about two ids per
// bucket; the buckets (8 bytes each) take 1/16 of the memtable's budget.
constexpr size_t kIdsMemtableBytesPerBucket = 128;

rocksdb::CompressionType BestCompression() {
  for (rocksdb::CompressionType type :
       {rocksdb::kLZ4Compression, rocksdb::kSnappyCompression}) {
    for (rocksdb::CompressionType supported :
         rocksdb::GetSupportedCompressions()) {
      if (supported == type) return type;
    }
  }
  return rocksdb::kNoCompression;
}

rocksdb::ColumnFamilyOptions FamilyOptions(
    const EventLogOptions& options,
    const std::shared_ptr<rocksdb::Cache>& cache, bool whole_key_bloom) {
  rocksdb::ColumnFamilyOptions family;
  family.write_buffer_size = options.write_buffer_bytes;
  family.max_write_buffer_number = 4;
  family.compression = BestCompression();
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  table.block_size = size_t{16} * 1024;
  table.cache_index_and_filter_blocks = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  if (whole_key_bloom) {
    // Point lookups of mostly absent keys (every new event id is looked up
    // before it is written): bloom filters answer the misses, in SST files
    // and in the memtable, without searching.
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    family.memtable_whole_key_filtering = true;
    family.memtable_prefix_bloom_size_ratio = 0.1;
  }
  family.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return family;
}

// The ids family gets one key per event with a random id (UUIDv4 is the
// common case), and is only ever read by point lookups (Get/MultiGet). In a
// skip-list memtable each random insert pays a full search (the largest
// cost of the commit thread in W2 profiles); a hash-linked-list memtable
// keyed by the whole key inserts in O(1). RocksDB sorts the memtable once
// when it flushes it, in the background. Any iterator over this family
// would need total_order_seek: there is none.
rocksdb::ColumnFamilyOptions IdsFamilyOptions(
    const EventLogOptions& options,
    const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::ColumnFamilyOptions family = FamilyOptions(options, cache, true);
  family.prefix_extractor.reset(
      rocksdb::NewFixedPrefixTransform(keys::kIdKeySize));
  family.memtable_factory.reset(
      rocksdb::NewHashLinkListRepFactory(std::max<size_t>(
          1024, options.write_buffer_bytes / kIdsMemtableBytesPerBucket)));
  return family;
}

// RocksDB reports a held LOCK file as an IO error mentioning the lock.
bool IsLockError(const rocksdb::Status& s) {
  const std::string text = s.ToString();
  return s.IsIOError() && (text.find("lock") != std::string::npos ||
                           text.find("LOCK") != std::string::npos);
}

}  // namespace

absl::StatusOr<std::unique_ptr<RocksEventLog>> RocksEventLog::OpenLog(
    const EventLogOptions& options) {
  if (options.data_dir.empty()) {
    return absl::InvalidArgumentError("the data directory is not set");
  }
  if (options.segment_events == 0) {
    return absl::InvalidArgumentError("segment_events must be positive");
  }
  std::unique_ptr<RocksEventLog> log(new RocksEventLog(options));
  if (absl::Status s = log->OpenDatabase(); !s.ok()) return s;
  if (absl::Status s = log->CheckOrWriteFormat(); !s.ok()) return s;
  uint64_t segment_events = options.segment_events;
  {
    std::string value;
    rocksdb::Status s =
        log->rocks_.db->Get(rocksdb::ReadOptions(), log->rocks_.meta,
                            keys::kSegmentEventsKey, &value);
    if (s.ok() && value.size() == 8) {
      segment_events = keys::ReadU64(value.data());
    } else if (!s.IsNotFound()) {
      return absl::DataLossError("cannot read the segment size record");
    }
  }
  log->retention_ =
      std::make_unique<RetentionStore>(log->rocks_.db.get(), log->rocks_.meta);
  if (absl::Status s = log->retention_->Load(); !s.ok()) return s;
  log->sequencer_ = std::make_unique<AppendSequencer>(
      &log->rocks_, &log->directory_, segment_events, kStreamCacheLimit,
      options.auto_create_customers, &log->stored_bytes_,
      log->retention_.get());
  if (absl::Status s = log->RecoverCustomers(); !s.ok()) return s;
  log->tokens_ =
      std::make_unique<TokenStore>(log->rocks_.db.get(), log->rocks_.meta);
  if (absl::Status s = log->tokens_->Load(); !s.ok()) return s;
  log->quotas_ =
      std::make_unique<QuotaStore>(log->rocks_.db.get(), log->rocks_.meta);
  if (absl::Status s = log->quotas_->Load(); !s.ok()) return s;
  if (absl::Status s = log->RecoverStoredBytes(); !s.ok()) return s;
  RocksEventLog* const raw = log.get();
  log->checkpoints_ = std::make_unique<CheckpointStore>(
      log->rocks_.db.get(), log->rocks_.meta,
      options.durability == Durability::kFsync,
      [raw](std::string_view customer) -> std::optional<CheckpointCustomer> {
        const std::optional<CustomerKey> key = raw->directory_.Find(customer);
        if (!key) return std::nullopt;
        return CheckpointCustomer{*key, raw->Head(customer)};
      });
  uint64_t disk_reserve_bytes = 0;
  if (options.disk_reserve_bytes.has_value()) {
    disk_reserve_bytes = *options.disk_reserve_bytes;
  } else {
    absl::StatusOr<uint64_t> reserve = DefaultDiskReserve(options.data_dir);
    if (!reserve.ok()) return reserve.status();
    disk_reserve_bytes = *reserve;
  }
  log->StartCommitter(disk_reserve_bytes);
  log->StartRetention();
  return log;
}

absl::Status RocksEventLog::OpenDatabase() {
  const std::string& dir = options_.data_dir;
  std::error_code ec;
  const bool exists = std::filesystem::exists(dir, ec);
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot access data directory ", dir, ": ", ec.message()));
  }
  if (!exists) {
    if (!options_.create_if_missing) {
      return absl::FailedPreconditionError(
          absl::StrCat("data directory ", dir, " does not exist"));
    }
    std::filesystem::create_directories(dir, ec);
    if (ec) {
      return absl::FailedPreconditionError(absl::StrCat(
          "cannot create data directory ", dir, ": ", ec.message()));
    }
  } else if (!std::filesystem::is_directory(dir, ec)) {
    return absl::FailedPreconditionError(
        absl::StrCat("data directory ", dir, " is not a directory"));
  }

  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.max_background_jobs = 2;
  // One thread (the commit thread) writes; the ids family's hash memtable
  // does not support concurrent inserts anyway.
  db_options.allow_concurrent_memtable_write = false;
  db_options.bytes_per_sync = 1 << 20;
  db_options.keep_log_file_num = 5;
  db_options.max_total_wal_size = size_t{1} << 30;
  db_options.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  // Lets RocksDB recover by itself from a flush or compaction that ran out
  // of space once space is freed (appends are held back by DiskSpaceGuard).
  db_options.sst_file_manager.reset(
      rocksdb::NewSstFileManager(rocksdb::Env::Default()));

  std::vector<std::string> existing;
  rocksdb::Status list =
      rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir, &existing);
  if (list.ok()) {
    // An existing database must be ours: it has our meta family.
    bool has_meta = false;
    for (const std::string& name : existing) {
      has_meta = has_meta || name == keys::kMetaFamily;
    }
    if (!has_meta) {
      return absl::FailedPreconditionError(absl::StrCat(
          "data directory ", dir,
          " holds a RocksDB database that is not an evstore event log"));
    }
  }

  auto cache = rocksdb::NewLRUCache(options_.block_cache_bytes);
  // Event keys are sequential per customer: a per-customer insert hint
  // lets the memtable continue where the customer's last insert ended.
  rocksdb::ColumnFamilyOptions events_family =
      FamilyOptions(options_, cache, false);
  events_family.memtable_insert_with_hint_prefix_extractor =
      std::make_shared<EventKeyCustomerHint>();
  // SST files never span two customers: a flush then writes each customer's
  // new events to a file of its own, whose key range lies after everything
  // that customer has in the lower levels, so compactions of the events
  // family move files instead of rewriting the levels below (W5: a store of
  // 50 M events took W2 from 0.35 to 0.46 of its empty-store rate).
  events_family.sst_partitioner_factory =
      rocksdb::NewSstPartitionerFixedPrefixFactory(4);
  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions()},
      {keys::kEventsFamily, events_family},
      {keys::kStreamsFamily, FamilyOptions(options_, cache, false)},
      {keys::kIdsFamily, IdsFamilyOptions(options_, cache)},
      {keys::kMetaFamily, FamilyOptions(options_, cache, false)},
  };
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s =
      rocksdb::DB::Open(db_options, dir, families, &handles, &raw);
  if (!s.ok()) {
    if (IsLockError(s)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "data directory ", dir,
          " is in use by another process (its LOCK file is held); stop the "
          "other evstored or choose another --data_dir"));
    }
    return absl::FailedPreconditionError(
        absl::StrCat("cannot open data directory ", dir, ": ", s.ToString()));
  }
  rocks_.db.reset(raw);
  rocks_.default_family = handles[0];
  rocks_.events = handles[1];
  rocks_.streams = handles[2];
  rocks_.ids = handles[3];
  rocks_.meta = handles[4];
  return absl::OkStatus();
}

absl::Status RocksEventLog::CheckOrWriteFormat() {
  std::string value;
  rocksdb::Status s = rocks_.db->Get(rocksdb::ReadOptions(), rocks_.meta,
                                     keys::kFormatKey, &value);
  if (s.ok()) {
    int version = 0;
    if (!absl::SimpleAtoi(value, &version) || version != keys::kFormatVersion) {
      return absl::FailedPreconditionError(absl::StrCat(
          "data directory ", options_.data_dir, " has storage format version ",
          value, "; this evstored reads version ", keys::kFormatVersion,
          " (see docs/storage-format.md for migrations)"));
    }
    return absl::OkStatus();
  }
  if (!s.IsNotFound()) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read the format version: ", s.ToString()));
  }
  rocksdb::WriteBatch batch;
  batch.Put(rocks_.meta, keys::kFormatKey,
            std::to_string(keys::kFormatVersion));
  std::string segment;
  keys::AppendU64(&segment, options_.segment_events);
  batch.Put(rocks_.meta, keys::kSegmentEventsKey, segment);
  rocksdb::WriteOptions sync;
  sync.sync = true;
  s = rocks_.db->Write(sync, &batch);
  if (!s.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot initialise the data directory: ", s.ToString()));
  }
  return absl::OkStatus();
}

absl::Status RocksEventLog::RecoverCustomers() {
  std::unique_ptr<rocksdb::Iterator> meta(
      rocks_.db->NewIterator(rocksdb::ReadOptions(), rocks_.meta));
  std::unique_ptr<rocksdb::Iterator> events(
      rocks_.db->NewIterator(rocksdb::ReadOptions(), rocks_.events));
  std::unique_ptr<rocksdb::Iterator> segments(
      rocks_.db->NewIterator(rocksdb::ReadOptions(), rocks_.meta));
  for (meta->Seek(keys::kCustomerByKeyPrefix); meta->Valid(); meta->Next()) {
    std::optional<CustomerKey> key =
        keys::ParseCustomerByKeyKey(meta->key().ToStringView());
    if (!key) break;  // past the "ck" records
    std::optional<keys::CustomerRecord> record =
        keys::ParseCustomerRecord(meta->value().ToStringView());
    if (!record) {
      return absl::DataLossError(absl::StrCat(
          "malformed customer record of customer #", key->value()));
    }
    const std::string& name = record->name;
    // The feed head is the last event key of the customer.
    events->SeekForPrev(keys::EventKey(*key, FeedPosition(UINT64_MAX)));
    FeedPosition head;
    if (events->Valid()) {
      std::optional<keys::EventKeyParts> parts =
          keys::ParseEventKey(events->key().ToStringView());
      if (parts && parts->customer == *key) head = parts->position;
    } else if (!events->status().ok()) {
      return absl::DataLossError(absl::StrCat("cannot recover the feed of ",
                                              name, ": ",
                                              events->status().ToString()));
    }
    // DeleteStream may have removed the newest events; the head's segment
    // record still counts them, so their positions are never reused.
    segments->SeekForPrev(keys::SegmentKey(*key, UINT64_MAX));
    if (segments->Valid() &&
        keys::ParseSegmentKeyCustomer(segments->key().ToStringView()) == *key) {
      std::optional<keys::SegmentRecord> segment =
          keys::ParseSegmentRecord(segments->value().ToStringView());
      if (!segment) return absl::DataLossError("malformed segment record");
      head = std::max(head, segment->last_position);
    } else if (!segments->status().ok()) {
      return absl::DataLossError(absl::StrCat(
          "cannot read the segment records: ", segments->status().ToString()));
    }
    directory_.Add(name, *key, record->created_at_micros);
    sequencer_->SetFeedHead(*key, head);
    MutexLock lock(&tails_mu_);
    tails_[name] = std::make_shared<FeedTail>(head, options_.tail_max_events,
                                              options_.tail_max_bytes);
  }
  if (!meta->status().ok()) {
    return absl::DataLossError(
        absl::StrCat("cannot recover customers: ", meta->status().ToString()));
  }
  // Absent in logs written before customers could be deleted: then the
  // largest recorded key (added above) is the high-water mark.
  std::string next;
  rocksdb::Status s = rocks_.db->Get(rocksdb::ReadOptions(), rocks_.meta,
                                     keys::kNextCustomerKey, &next);
  if (s.ok()) {
    std::optional<CustomerKey> next_key = keys::ParseCustomerKey(next);
    if (!next_key) return absl::DataLossError("malformed next_customer record");
    directory_.ReserveKeysBelow(*next_key);
  } else if (!s.IsNotFound()) {
    return absl::DataLossError(
        absl::StrCat("cannot read the next_customer record: ", s.ToString()));
  }
  return absl::OkStatus();
}

// One pass over the segment records ("sg"): one record per segment_events
// positions (65,536 by default), so this reads no event.
absl::Status RocksEventLog::RecoverStoredBytes() {
  std::unique_ptr<rocksdb::Iterator> it(
      rocks_.db->NewIterator(rocksdb::ReadOptions(), rocks_.meta));
  for (it->Seek("sg"); it->Valid(); it->Next()) {
    std::optional<CustomerKey> customer =
        keys::ParseSegmentKeyCustomer(it->key().ToStringView());
    if (!customer) break;  // past the "sg" records
    std::optional<keys::SegmentRecord> record =
        keys::ParseSegmentRecord(it->value().ToStringView());
    if (!record) return absl::DataLossError("malformed segment record");
    stored_bytes_.Add(*customer, record->bytes);
  }
  if (!it->status().ok()) {
    return absl::DataLossError(absl::StrCat("cannot read the segment records: ",
                                            it->status().ToString()));
  }
  return absl::OkStatus();
}

}  // namespace evstore
