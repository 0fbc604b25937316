// RetentionStore: the customers' retention policies and first retained
// positions, by internal customer key.
//
// Policies are persisted in the meta column family ("rt" | customer u32 BE
// -> CustomerRetention) and held in memory. The first retained position is
// not stored on its own: it is the first position of the customer's oldest
// segment record (segments are dropped oldest first, their records in the
// same write batch as their events), so it is as durable as the drop itself
// and survives restart and kill -9 without a second write. It is read at
// open and then raised by the commit thread as segments are dropped.
#ifndef EVSTORE_STORAGE_RETENTION_STORE_H_
#define EVSTORE_STORAGE_RETENTION_STORE_H_

#include <rocksdb/db.h>

#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "base/mutex.h"
#include "storage/customer_retention.h"
#include "storage/types.h"

namespace evstore {

// Thread-safe. Set is a synchronous (fsync'd) RocksDB write.
class RetentionStore {
 public:
  // `db` and `meta` must outlive the store.
  RetentionStore(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* meta);
  RetentionStore(const RetentionStore&) = delete;
  RetentionStore& operator=(const RetentionStore&) = delete;

  // Reads every policy and every customer's oldest segment record; call
  // once, before anything else. DATA_LOSS for a malformed record.
  absl::Status Load();

  // The policy of `customer` (all zero, keep everything, when it has none).
  CustomerRetention Get(CustomerKey customer) const;

  // Every customer with a policy that drops something.
  std::vector<std::pair<CustomerKey, CustomerRetention>> Policies() const;

  // Stores the policy durably, then makes it current. KeepsEverything()
  // deletes the record. INVALID_ARGUMENT for a policy that
  // ValidateCustomerRetention refuses; UNAVAILABLE when the write fails.
  absl::Status Set(CustomerKey customer, const CustomerRetention& retention);

  // The oldest position of `customer` that can still be read (1 until
  // something is dropped).
  FeedPosition FirstRetained(CustomerKey customer) const;

  // Raises the first retained position (never lowers it).
  void RaiseFirstRetained(CustomerKey customer, FeedPosition position);

  // Drops the in-memory state of a deleted customer (its records go with
  // the customer's delete batch).
  void Forget(CustomerKey customer);

 private:
  rocksdb::DB* const db_;
  rocksdb::ColumnFamilyHandle* const meta_;
  Mutex write_mu_;  // Serialises Set: memory follows disk order.
  mutable Mutex mu_;
  absl::flat_hash_map<CustomerKey, CustomerRetention> policies_
      ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<CustomerKey, FeedPosition> first_retained_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace evstore

#endif  // EVSTORE_STORAGE_RETENTION_STORE_H_
