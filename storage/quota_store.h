// QuotaStore: the customers' quotas, by internal customer key. Persisted in
// the meta column family ("qt" | customer u32 BE -> CustomerQuota) and held
// in memory, so that checking a quota on every append never touches the
// disk. A customer without a record is unlimited.
#ifndef EVSTORE_STORAGE_QUOTA_STORE_H_
#define EVSTORE_STORAGE_QUOTA_STORE_H_

#include <rocksdb/db.h>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "base/mutex.h"
#include "storage/customer_quota.h"
#include "storage/types.h"

namespace evstore {

// Thread-safe. Set is a synchronous (fsync'd) RocksDB write.
class QuotaStore {
 public:
  // `db` and `meta` must outlive the store.
  QuotaStore(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* meta);
  QuotaStore(const QuotaStore&) = delete;
  QuotaStore& operator=(const QuotaStore&) = delete;

  // Reads every quota record into memory; call once, before anything else.
  // DATA_LOSS for a malformed record.
  absl::Status Load();

  // The quota of `customer` (all zero, unlimited, when it has none).
  CustomerQuota Get(CustomerKey customer) const;

  // Stores the quota of `customer` durably, then makes it current. An
  // unlimited quota deletes the record. INVALID_ARGUMENT for a quota that
  // ValidateCustomerQuota refuses; UNAVAILABLE when the write fails.
  absl::Status Set(CustomerKey customer, const CustomerQuota& quota);

  // Drops the in-memory quota of a deleted customer (its record goes with
  // the customer's delete batch; keys are never reused, so a record that a
  // Set racing the delete leaves behind is never read by another customer).
  void Forget(CustomerKey customer);

 private:
  rocksdb::DB* const db_;
  rocksdb::ColumnFamilyHandle* const meta_;
  Mutex write_mu_;  // Serialises Set: memory follows disk order.
  mutable Mutex mu_;
  absl::flat_hash_map<CustomerKey, CustomerQuota> quotas_ ABSL_GUARDED_BY(mu_);
};

}  // namespace evstore

#endif  // EVSTORE_STORAGE_QUOTA_STORE_H_
