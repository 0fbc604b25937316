// AppendSequencer: decides the outcome of each append and encodes the
// accepted ones into a commit group's write batch. It owns the write-side
// view of the log (feed heads, stream heads, segment records), which runs
// ahead of what is durable by the groups still in flight.
#ifndef EVSTORE_STORAGE_APPEND_SEQUENCER_H_
#define EVSTORE_STORAGE_APPEND_SEQUENCER_H_

#include <rocksdb/write_batch.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "storage/customer_directory.h"
#include "storage/key_format.h"
#include "storage/records.h"
#include "storage/retention_store.h"
#include "storage/rocks_handles.h"
#include "storage/stored_bytes.h"
#include "storage/types.h"

namespace evstore {

// The outcome of one append inside a commit group.
struct SequencedAppend {
  absl::StatusOr<AppendResult> result;
  // For new (non-duplicate) appends: the events to publish to the customer's
  // tail once the group is durable, in position order.
  std::string customer;
  std::vector<std::shared_ptr<const RecordedEvent>> events;
};

// Not thread-safe: used only by the commit thread. Its reads see every
// group already written to RocksDB (durable or not), which is exactly the
// state the next group must build on.
class AppendSequencer {
 public:
  // `auto_create_customers`: see EventLogOptions. `stored_bytes` gets the
  // bytes of each group's event records once the group is written (EndGroup)
  // and loses deleted customers; it must outlive the sequencer.
  // `retention` gets the first retained position raised as segments are
  // dropped, and loses deleted customers; it must outlive the sequencer.
  AppendSequencer(RocksHandles* rocks, CustomerDirectory* directory,
                  uint64_t segment_events, size_t stream_cache_limit,
                  bool auto_create_customers, StoredBytes* stored_bytes,
                  RetentionStore* retention);
  AppendSequencer(const AppendSequencer&) = delete;
  AppendSequencer& operator=(const AppendSequencer&) = delete;

  // Starts a new group; `recorded_at_micros` stamps all of its events.
  void BeginGroup(int64_t recorded_at_micros);

  // Decides `batch`: rejects it (result holds the error, nothing is added to
  // the group), answers it as a duplicate (nothing added), or assigns
  // positions and revisions and adds all of its records to the group.
  // A batch of kind kCreateCustomer or kDeleteCustomer creates or deletes
  // the customer instead (its result is an empty AppendResult). Consumes the
  // data of `batch`.
  SequencedAppend Sequence(AppendBatch batch);

  // Puts the group's records, and its bookkeeping records (segment index),
  // into `out`, sorted by key within each column family: memtable inserts in
  // key order reuse the skip list's search path, which makes them several
  // times cheaper than inserts in arrival order (customers interleave, ids
  // are random). Call once after the last Sequence of the group.
  void SealGroup(rocksdb::WriteBatch* out);

  // Ends the group after `out` was written to RocksDB.
  void EndGroup();

  // Seeds a customer's feed head at open.
  void SetFeedHead(CustomerKey customer, FeedPosition head);

 private:
  struct CustomerState {
    FeedPosition head;
    // The segment that holds `head` (valid when head > 0).
    uint64_t segment = 0;
    keys::SegmentRecord record;
    bool record_loaded = false;
    bool record_dirty = false;
  };

  absl::Status CheckShape(const AppendBatch& batch) const;
  SequencedAppend CreateCustomer(const AppendBatch& batch);
  SequencedAppend DeleteCustomer(const AppendBatch& batch);
  // append_sequencer_removal.cc: DeleteStream and retention's segment drop.
  SequencedAppend DeleteStream(const AppendBatch& batch);
  SequencedAppend DropSegment(const AppendBatch& batch);
  // Takes `bytes` off segment `segment` of `customer` (its record, written
  // with the group), for events removed by DeleteStream.
  absl::Status RemoveFromSegment(CustomerKey customer, CustomerState* state,
                                 uint64_t segment, uint64_t bytes);
  // Gives `name` the next customer key and adds its records to the group.
  CustomerKey AddCustomer(const std::string& name);
  // Looks up every event id; fills hits (nullopt = not recorded).
  absl::Status FindIds(CustomerKey customer, const AppendBatch& batch,
                       std::vector<std::optional<FeedPosition>>* hits);
  absl::StatusOr<AppendResult> DuplicateResult(
      CustomerKey customer, const AppendBatch& batch,
      const std::vector<std::optional<FeedPosition>>& hits);
  struct StreamHeadState {
    StreamRevision revision;
    bool tombstoned = false;
  };
  absl::StatusOr<StreamHeadState> StreamHead(CustomerKey customer,
                                             std::string_view stream);
  absl::Status CheckExpected(size_t write_index, const StreamWrite& write,
                             StreamRevision actual) const;
  absl::StatusOr<CustomerState*> LoadCustomer(CustomerKey customer);
  // Accounts one new event in its segment; puts a segment record that the
  // event closes into `out`.
  void AddToSegment(CustomerKey customer, CustomerState* state,
                    FeedPosition position, uint64_t bytes);
  rocksdb::Iterator* StreamsIterator();

  // The records of the current group, per column family, before sorting.
  enum Family { kEvents, kStreams, kIds, kMeta, kFamilies };
  using Record = std::pair<std::string, std::string>;
  void Put(Family family, std::string key, std::string value);

  // Constant after construction.
  RocksHandles* const rocks_;
  CustomerDirectory* const directory_;
  const uint64_t segment_events_;
  const size_t stream_cache_limit_;
  const bool auto_create_customers_;
  StoredBytes* const stored_bytes_;
  RetentionStore* const retention_;

  int64_t recorded_at_micros_ = 0;
  std::vector<Record> group_records_[kFamilies];
  // Deletes of the current group, written after all of its puts: the meta
  // name records of deleted customers (by name, so that a create of the
  // same name later in the group can cancel it) and the key ranges of their
  // data. A deleted customer's key gets no puts after its delete.
  absl::flat_hash_map<std::string, std::string> group_name_deletes_;
  struct RangeDelete {
    Family family;
    std::string begin;
    std::string end;
  };
  std::vector<RangeDelete> group_range_deletes_;
  // Point deletes of the current group (DeleteStream, segment drops),
  // written before its puts, so a key deleted and put again keeps the put.
  std::vector<std::pair<Family, std::string>> group_deletes_;
  // Bytes of event records removed by the current group, per customer;
  // subtracted from stored_bytes_ by EndGroup.
  absl::flat_hash_map<CustomerKey, uint64_t> group_removed_bytes_;
  absl::flat_hash_map<CustomerKey, CustomerState> customers_;
  // Bytes of event records added by the current group, per customer; added
  // to stored_bytes_ by EndGroup.
  absl::flat_hash_map<CustomerKey, uint64_t> group_stored_bytes_;
  // An iterator over the streams family as of the group's start (created on
  // first use in a group): it sees every earlier group.
  std::unique_ptr<rocksdb::Iterator> streams_iterator_;
  // Stream heads by StreamRunPrefix; a cache over the streams family.
  absl::flat_hash_map<std::string, StreamHeadState> stream_heads_;
  // Ids added by the current group, not yet in RocksDB: key = IdKey.
  absl::flat_hash_map<std::string, FeedPosition> group_ids_;
  // Results of the current group's appends by customer and first position,
  // so that a retry inside the same group is answered without reading
  // RocksDB.
  absl::flat_hash_map<std::pair<CustomerKey, FeedPosition>, AppendResult>
      group_results_;
};

}  // namespace evstore

#endif  // EVSTORE_STORAGE_APPEND_SEQUENCER_H_
