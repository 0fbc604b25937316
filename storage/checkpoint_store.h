// CheckpointStore: named consumer positions of a customer, stored by the
// server (evstore.proto's CommitCheckpoint, GetCheckpoint, ListCheckpoints,
// DeleteCheckpoint). A checkpoint is keyed by (name, partition) inside the
// customer's key range of the meta column family, so deleting the customer
// deletes its checkpoints (see key_format.h: "cp" records).
//
// Writes (commits and deletes) go through one writer thread that gathers
// the requests queued meanwhile into one RocksDB write batch, written with
// one fsync: concurrent commits share the fsync, and the writer is the only
// one deciding "monotonic or not", so two racing commits of one checkpoint
// cannot both pass the check against the same stored value.
#ifndef EVSTORE_STORAGE_CHECKPOINT_STORE_H_
#define EVSTORE_STORAGE_CHECKPOINT_STORE_H_

#include <rocksdb/db.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/mutex.h"
#include "storage/checkpoint.h"
#include "storage/types.h"

namespace evstore {

// One page of List.
struct CheckpointPage {
  std::vector<Checkpoint> checkpoints;
  // True when more checkpoints follow the last one of this page.
  bool more = false;
};

// What the store needs to know of a customer: its internal key and the
// visible head of its feed. nullopt for an unknown customer.
struct CheckpointCustomer {
  CustomerKey key;
  FeedPosition head;
};
using CheckpointCustomerResolver =
    std::function<std::optional<CheckpointCustomer>(std::string_view)>;

// Called exactly once with the outcome of a Commit, on the writer thread
// once the checkpoint is durable (or earlier when rejected). It must return
// quickly.
using CheckpointCommitCallback =
    absl::AnyInvocable<void(absl::StatusOr<Checkpoint>)>;
// Called exactly once with the outcome of a Delete: whether there was a
// checkpoint.
using CheckpointDeleteCallback =
    absl::AnyInvocable<void(absl::StatusOr<bool> existed)>;

// Thread-safe: every method may be called concurrently. Owns the writer
// thread (started by the constructor, joined by Stop). Get and List read
// RocksDB and block: call them from a worker thread.
class CheckpointStore {
 public:
  // `db` and `meta` must outlive the store. `sync`: fsync each write batch
  // (Durability::kFsync) or only hand it to the OS. `resolve` maps a
  // customer name to its key and visible head; it is called on the writer
  // thread and by Get/List and must be cheap (memory only).
  CheckpointStore(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* meta, bool sync,
                  CheckpointCustomerResolver resolve);
  CheckpointStore(const CheckpointStore&) = delete;
  CheckpointStore& operator=(const CheckpointStore&) = delete;
  ~CheckpointStore();

  // Stores `commit` for `customer`, durably before `done` reports success
  // with the checkpoint as stored. Monotonic: a position below the stored
  // one fails with FAILED_PRECONDITION naming the stored position, unless
  // allow_backwards; an equal one changes nothing (the stored checkpoint,
  // with its committed_at, is returned). A position beyond the customer's
  // head fails with OUT_OF_RANGE; an unknown customer with NOT_FOUND; an
  // invalid name or partition with INVALID_ARGUMENT; a failed write, or a
  // stopped store, with UNAVAILABLE.
  void Commit(std::string_view customer, CheckpointCommit commit,
              CheckpointCommitCallback done);

  // Deletes one checkpoint, durably; `done` reports whether it existed.
  // NOT_FOUND for an unknown customer; INVALID_ARGUMENT, UNAVAILABLE as
  // for Commit.
  void Delete(std::string_view customer, CheckpointId id,
              CheckpointDeleteCallback done);

  // The checkpoint `id` of `customer`. NOT_FOUND when the customer is
  // unknown or the checkpoint was never committed (or was deleted);
  // DATA_LOSS for a malformed record.
  absl::StatusOr<Checkpoint> Get(std::string_view customer,
                                 const CheckpointId& id);

  // At most `limit` (>= 1) checkpoints of `customer` whose names start with
  // `name_prefix`, ordered by name, then partition count, then index,
  // starting after `after` (from the first when nullopt). NOT_FOUND for an
  // unknown customer.
  absl::StatusOr<CheckpointPage> List(std::string_view customer,
                                      std::string_view name_prefix,
                                      const std::optional<CheckpointId>& after,
                                      size_t limit);

  // Rejects new writes (UNAVAILABLE), writes the queued ones and joins the
  // writer thread. Idempotent; the destructor calls it.
  void Stop();

 private:
  struct Request {
    std::string customer;
    CheckpointCommit commit;  // For a delete: only commit.id counts.
    bool is_delete = false;
    CheckpointCommitCallback commit_done;
    CheckpointDeleteCallback delete_done;
  };

  void Enqueue(Request request);
  void WriterLoop();
  // Decides, writes and answers one batch of requests.
  void WriteRequests(std::vector<Request> requests);

  // Constant after construction.
  rocksdb::DB* const db_;
  rocksdb::ColumnFamilyHandle* const meta_;
  const bool sync_;
  const CheckpointCustomerResolver resolve_;

  Mutex mu_;
  std::deque<Request> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;

  std::thread writer_;
  Mutex stop_mu_;
};

}  // namespace evstore

#endif  // EVSTORE_STORAGE_CHECKPOINT_STORE_H_
