// EventLog: the durable, per-customer event log. This header is the whole
// contract the server relies on; the RocksDB implementation lives behind it.
#ifndef EVSTORE_STORAGE_EVENT_LOG_H_
#define EVSTORE_STORAGE_EVENT_LOG_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "storage/checkpoint_store.h"
#include "storage/customer_quota.h"
#include "storage/customer_retention.h"
#include "storage/event_filter.h"
#include "storage/feed_tail.h"
#include "storage/records.h"
#include "storage/storage_metrics.h"
#include "storage/token_store.h"
#include "storage/types.h"

namespace evstore {

// When an append is acknowledged.
enum class Durability {
  // After the write-ahead log is fsync'd: survives power loss. The default.
  kFsync,
  // After the write-ahead log is handed to the operating system: survives a
  // crash of evstored (kill -9) but not of the machine. Explicit opt-in only.
  kBuffered,
};

struct EventLogOptions {
  // Directory of the database; created when missing and create_if_missing.
  std::string data_dir;
  bool create_if_missing = true;
  Durability durability = Durability::kFsync;

  // Appends accepted but not yet durable are bounded by this many bytes of
  // event data; beyond it Append fails fast with RESOURCE_EXHAUSTED, so
  // memory stays bounded however fast producers push.
  size_t max_queued_bytes = size_t{256} << 20;
  // One commit group (one RocksDB write) carries at most this much data.
  size_t max_group_bytes = size_t{8} << 20;

  // Live-tail ring per customer: at most this many recent events and bytes.
  size_t tail_max_events = 8192;
  size_t tail_max_bytes = size_t{16} << 20;

  // Positions per feed segment (the unit of retention). Stored in the
  // database at creation; a different value on reopen is ignored.
  uint64_t segment_events = 65536;

  // Free space kept in reserve on the data directory's file system: while
  // less is free, appends fail with RESOURCE_EXHAUSTED before anything is
  // written, and they resume by themselves once space is freed (see
  // DiskSpaceGuard). nullopt: 10% of the file system's size, capped at
  // 1 GiB; 0: no check.
  std::optional<uint64_t> disk_reserve_bytes;

  // When true, the first append to an unknown customer creates it (the
  // development mode of evstored --auto_create_customers). When false, such
  // an append fails with NOT_FOUND: customers are made by CreateCustomer.
  bool auto_create_customers = false;

  // How often the retention thread applies the customers' retention
  // policies (docs/retention.md). 0: no thread (EnforceRetention only).
  uint64_t retention_interval_ms = 60'000;

  // Receives the append path's measurements (see storage_metrics.h); must
  // outlive the log. Null: none are taken.
  StorageMetricsSink* metrics_sink = nullptr;

  // RocksDB tuning.
  size_t block_cache_bytes = size_t{256} << 20;
  size_t write_buffer_bytes = size_t{64} << 20;
};

// A customer's quota and what it currently uses of it.
struct CustomerUsage {
  CustomerQuota quota;
  // See stored_bytes.h for what is counted (exact for the event records,
  // indexes and RocksDB overhead excluded). Includes appends that are
  // written but not yet durable.
  uint64_t stored_bytes = 0;
};

// Called exactly once with the outcome of an Append: on the commit thread
// once the append is durable and visible to subscribers, or earlier (possibly
// before Append returns) when it is rejected. It must return quickly.
using AppendCallback = absl::AnyInvocable<void(absl::StatusOr<AppendResult>)>;

// The outcome of one append of an EventLog::AppendMany call.
struct IndexedAppendResult {
  size_t index = 0;  // The append's index in the call's `batches`.
  absl::StatusOr<AppendResult> result;
};

// Receives outcomes of the appends of one AppendMany call: called one or more
// times until every append has had exactly one outcome. Outcomes that are
// decided together come in one call: those of the appends made durable by
// the same fsync (one or more commit groups, once durable and visible), or
// that are rejected at once. Calls may come from different threads, also
// concurrently (the callback must be thread-safe), and possibly before
// AppendMany returns. Each must return quickly.
using AppendManyCallback =
    absl::AnyInvocable<void(std::vector<IndexedAppendResult>)>;

enum class ReadDirection { kForwards, kBackwards };

// Bounds one read call. A read returns at most max_events events and stops
// after the event that reaches max_bytes of data.
struct ReadLimits {
  size_t max_events = 256;
  size_t max_bytes = size_t{4} << 20;
  bool include_data = true;
};

struct FeedReadResult {
  // Matching events, in the direction of the read.
  std::vector<RecordedEvent> events;
  // The last position examined (matching or not); equals the start's
  // neighbour (from-1 forwards, from+1 backwards) when nothing was examined.
  // Continue a read from last_scanned+1 (forwards) or last_scanned-1.
  FeedPosition last_scanned;
  // True when the read reached the visible head (forwards) or position 1
  // (backwards): there is nothing more to read in this direction right now.
  bool end = false;
};

struct StreamReadResult {
  std::vector<RecordedEvent> events;
  // The last revision returned; continue from last_revision+1 (forwards) or
  // last_revision-1 (backwards).
  StreamRevision last_revision;
  bool end = false;
};

struct LookupResult {
  // Found events: first those asked by id, in request order, then those
  // asked by position, in request order.
  std::vector<RecordedEvent> events;
  std::vector<EventId> missing_ids;
  std::vector<FeedPosition> missing_positions;
};

// One customer, as EventLog::Customer and Customers describe it.
struct CustomerInfo {
  std::string name;
  // The visible head of its feed (0 when it has no events).
  FeedPosition head;
  // When it was created (Unix time, microseconds); nullopt for customers
  // created by a version of evstore that did not record it.
  std::optional<int64_t> created_at_micros;
  // Its quota (all zero: unlimited).
  CustomerQuota quota;
  // Its retention policy (all zero: keep everything).
  CustomerRetention retention;
  // The oldest position that can still be read (1 until retention drops
  // something).
  FeedPosition first_retained{1};
};

// What one EventLog::EnforceRetention round dropped.
struct RetentionRound {
  uint64_t segments = 0;
  uint64_t events = 0;
};

// What EventLog::CreateBackup wrote.
struct BackupInfo {
  // RocksDB's last sequence number in the backup.
  uint64_t sequence_number = 0;
  // Files in the backup directory and their total size.
  uint64_t files = 0;
  uint64_t bytes = 0;
};

// Called exactly once with the outcome of EventLog::DeleteCustomer: the
// number of tokens revoked because they were limited to the customer alone,
// or the error.
using DeleteCustomerCallback =
    absl::AnyInvocable<void(absl::StatusOr<size_t> revoked_tokens)>;

// The most event data one Lookup returns.
inline constexpr size_t kMaxLookupBytes = size_t{32} << 20;

// A durable, per-customer event log.
//
// Guarantees:
// - Appends are atomic and durable before their callback reports success
//   (with Durability::kFsync).
// - Each customer's feed positions are dense (1, 2, 3, ...) and commit order
//   equals position order; each stream's revisions are dense.
// - An append whose event ids are all recorded (same streams, same order) is
//   answered with the original result and `duplicate`, for as long as the
//   events are retained and across restarts.
// - Reads and the live tail show only events that are durable: nothing a
//   reader sees can be lost by a crash.
// - After a failed write or fsync the log stops accepting appends
//   (fail-stop, until reopened) and WriteHealth() says why; reads keep
//   working. A failed fsync is never retried: the kernel may have dropped
//   the dirty pages, so a later fsync could succeed without the data.
// - While the disk is almost full appends are refused before anything is
//   written; they resume by themselves once space is freed.
//
// Thread-safety: all methods may be called concurrently. Append never
// blocks on disk. Read methods do disk I/O and block: call them from a
// worker thread, never from a gRPC callback.
class EventLog {
 public:
  virtual ~EventLog() = default;

  // Opens (or creates) the log in options.data_dir and recovers heads,
  // stream revisions and the idempotency index. Fails with
  // FAILED_PRECONDITION when the directory is locked by another process or
  // holds an incompatible format version, and with the I/O error otherwise.
  static absl::StatusOr<std::unique_ptr<EventLog>> Open(
      const EventLogOptions& options);

  // Queues `batch` for commit. `done` reports the result (see AppendCallback).
  // Rejections: INVALID_ARGUMENT (malformed batch), NOT_FOUND (unknown
  // customer, unless auto_create_customers), FAILED_PRECONDITION
  // (expected revision), ALREADY_EXISTS (some ids recorded, some not, or all
  // recorded by a different append), RESOURCE_EXHAUSTED (queue full),
  // UNAVAILABLE (closing or fail-stopped).
  virtual void Append(AppendBatch batch, AppendCallback done) = 0;

  // Queues several independent appends with one hand-off: each has exactly
  // the semantics of Append (its own atomic unit, its own outcome); they are
  // sequenced in vector order, so each sees the earlier ones that succeeded.
  // `done` receives the outcomes (see AppendManyCallback). An empty `batches`
  // never calls `done`.
  virtual void AppendMany(std::vector<AppendBatch> batches,
                          AppendManyCallback done) = 0;

  // Creates the empty customer `customer`, durably, with a fresh internal
  // key (never one of a deleted customer). `done` is called exactly once,
  // possibly before CreateCustomer returns, with OK, INVALID_ARGUMENT (bad
  // name), ALREADY_EXISTS, or UNAVAILABLE (closing or fail-stopped).
  virtual void CreateCustomer(std::string_view customer,
                              absl::AnyInvocable<void(absl::Status)> done) = 0;

  // Deletes `customer` and all of its data (events, streams, ids, segment
  // records, name records) with one range delete per family, atomically and
  // durably, without reading any other customer's data. First, the tokens
  // limited to it are revoked or narrowed (TokenStore::ForgetCustomer; a
  // synchronous write on the calling thread). From the moment the
  // commit thread takes the request, appends to the customer fail with
  // NOT_FOUND (unless auto_create_customers, which makes a new customer) and
  // reads see an unknown customer; once done, its tail is closed (its
  // subscribers end). Its internal key is never given out again. `done` is
  // called exactly once with the number of revoked tokens, NOT_FOUND (no
  // such customer), or UNAVAILABLE (closing or fail-stopped).
  virtual void DeleteCustomer(std::string_view customer,
                              DeleteCustomerCallback done) = 0;

  // The customer named `customer`, if it exists. Memory only (never blocks
  // on disk). A customer is listed from the moment the commit thread takes
  // its create (its creation may still be on its way to disk) until the
  // commit thread takes its delete.
  virtual std::optional<CustomerInfo> Customer(std::string_view customer) = 0;

  // At most `limit` customers whose names sort after `after` (from the
  // first when `after` is empty), in name order. Memory only, like Customer.
  virtual std::vector<CustomerInfo> Customers(std::string_view after,
                                              size_t limit) = 0;

  // The access tokens, kept in the same database.
  virtual TokenStore& tokens() = 0;

  // The customers' checkpoints (named consumer positions), kept in the same
  // database and deleted with their customer. Commits are durable like
  // appends (fsync'd with Durability::kFsync).
  virtual CheckpointStore& checkpoints() = 0;

  // Sets the quota of `customer` (all fields 0: unlimited, the default of a
  // new customer), durably (fsync'd) before returning: blocks, call it from
  // a worker thread. INVALID_ARGUMENT for a quota ValidateCustomerQuota
  // refuses, NOT_FOUND for an unknown customer, UNAVAILABLE when the write
  // fails. A customer's quota is deleted with it.
  virtual absl::Status SetQuota(std::string_view customer,
                                const CustomerQuota& quota) = 0;

  // Sets the retention policy of `customer` (all fields 0: keep everything,
  // the default), durably (fsync'd) before returning: blocks, call it from a
  // worker thread. INVALID_ARGUMENT for a policy ValidateCustomerRetention
  // refuses, NOT_FOUND for an unknown customer, UNAVAILABLE when the write
  // fails. The retention thread applies it on its next round. Once it
  // returns, nothing is dropped under the previous policy: a round in
  // progress reads each customer's policy when it reaches the customer, and
  // a drop already selected is committed before this returns.
  virtual absl::Status SetRetention(std::string_view customer,
                                    const CustomerRetention& retention) = 0;

  // The oldest position of `customer` that can still be read: 1 until
  // retention drops a segment, then the first position after the dropped
  // ones (persisted with the drop). Memory only; 1 for an unknown customer.
  virtual FeedPosition FirstRetained(std::string_view customer) = 0;

  // Applies every customer's retention policy once, now: drops the whole
  // segments it selects (customer_retention.h: SegmentsToDrop), oldest
  // first, each atomically (events, their id and stream index entries, the
  // segment record) through the commit thread without holding it while the
  // segment is read, then compacts the dropped key ranges so the disk space
  // is reclaimed. Blocks on disk; the retention thread calls it every
  // retention_interval_ms. Errors are those of the first failed drop.
  virtual absl::StatusOr<RetentionRound> EnforceRetention() = 0;

  // Removes every event of `stream` recorded so far (DeleteStream): their
  // events, stream index runs and bytes, atomically, in a commit group of
  // its own (its cost grows with the stream: see docs/retention.md). Their
  // ids stay recorded, so a retried append of them is a duplicate. The
  // stream keeps its revision (an end marker): a truncated stream continues
  // at last_revision + 1; a `tombstone`d one refuses appends for ever
  // (FAILED_PRECONDITION). `expected` (kAny or kExact) is checked against
  // the stream's revision. `done` gets an AppendResult whose
  // streams[0].last_revision is the stream's revision, removed_events and
  // tombstoned are set; FAILED_PRECONDITION (expected revision, or
  // truncating a tombstoned stream), NOT_FOUND (unknown customer),
  // INVALID_ARGUMENT (bad name), UNAVAILABLE.
  virtual void DeleteStream(std::string_view customer, std::string_view stream,
                            ExpectedRevision expected, bool tombstone,
                            AppendCallback done) = 0;

  // The quota and usage of `customer`, from memory (cheap enough for every
  // append). NOT_FOUND for an unknown customer.
  virtual absl::StatusOr<CustomerUsage> Usage(std::string_view customer) = 0;

  // For reads: OK when `customer` exists; NOT_FOUND ("customer \"x\" does
  // not exist") when it was never created or has been deleted. With
  // auto_create_customers every name is OK (its first append creates it, so
  // an unknown customer reads as an empty feed). Memory only.
  virtual absl::Status CheckCustomerExists(std::string_view customer) = 0;

  // Reads a customer's feed from `from` (inclusive; 0 means the first
  // position forwards and the head backwards). Only events matching `filter`
  // are returned, but every examined position counts toward last_scanned.
  // An unknown customer reads as an empty feed (the server answers
  // NOT_FOUND before reading: see CheckCustomerExists).
  virtual absl::StatusOr<FeedReadResult> ReadFeed(
      std::string_view customer, FeedPosition from, ReadDirection direction,
      const ReadLimits& limits, const EventFilter& filter) = 0;

  // Reads one stream from revision `from` (inclusive; 0 means the first
  // revision forwards and the last backwards). An unknown stream reads as
  // empty.
  virtual absl::StatusOr<StreamReadResult> ReadStream(
      std::string_view customer, std::string_view stream, StreamRevision from,
      ReadDirection direction, const ReadLimits& limits) = 0;

  // Fetches events of one customer by id and by position. Fails with
  // RESOURCE_EXHAUSTED when the events found carry more than
  // kMaxLookupBytes of data, so one call cannot make the server hold an
  // unbounded reply.
  virtual absl::StatusOr<LookupResult> Lookup(
      std::string_view customer, const std::vector<EventId>& ids,
      const std::vector<FeedPosition>& positions, bool include_data) = 0;

  // The visible head of a customer's feed (0 when it has no events).
  virtual FeedPosition Head(std::string_view customer) = 0;

  // The live tail of a customer's feed, created on first use; the same
  // object for the life of the log.
  virtual std::shared_ptr<FeedTail> Tail(std::string_view customer) = 0;

  // OK while appends are accepted; otherwise why not: RESOURCE_EXHAUSTED
  // while the disk is almost full (passes by itself), UNAVAILABLE after a
  // storage failure (until reopened) or once closing.
  virtual absl::Status WriteHealth() = 0;

  // The database's size and background work, read from RocksDB's
  // properties (memory only; a few microseconds per family). For polling by
  // monitoring; valid until Close, which must not run concurrently.
  virtual StorageStatistics Statistics() = 0;

  // Writes a consistent copy of the whole log (events, streams, ids,
  // customers, quotas and token hashes) to `dir`, a directory that must not
  // exist yet (see storage/backup.h: ValidateBackupDirectory), while appends
  // continue: a RocksDB checkpoint, hard links to the immutable table files
  // where `dir` is on the same file system (copies otherwise) plus a copy of
  // the write-ahead log. Every append acknowledged before the call began is
  // in it; appends committed meanwhile are in it whole or not at all. The
  // copy opens as a data directory (see RestoreBackup). Blocks on disk: call
  // it from a worker thread. Fails with the I/O error (no partial directory
  // is left behind).
  virtual absl::StatusOr<BackupInfo> CreateBackup(const std::string& dir) = 0;

  // Stops accepting appends (they fail with UNAVAILABLE), commits the ones
  // already queued, closes every tail and waits for the commit threads.
  // Idempotent; the destructor calls it.
  virtual void Close() = 0;
};

}  // namespace evstore

#endif  // EVSTORE_STORAGE_EVENT_LOG_H_
