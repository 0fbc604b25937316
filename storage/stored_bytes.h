// StoredBytes: how many bytes of events each customer stores, kept exactly
// by the commit thread, so that the max_stored_bytes quota is checked
// without scanning anything.
//
// What is counted: the encoded event records (envelope: ids, names, type,
// content type, metadata, data; see record_codec.h), i.e. the `bytes` of
// the customer's segment records (key_format.h). Not counted: the streams
// and ids index entries (about 30-40 bytes per event), RocksDB's own
// overhead, compression and space amplification. So the figure is exact for
// what the customer sent (plus a small fixed envelope per event) and says
// nothing precise about disk usage.
//
// Why a counter and not RocksDB's GetApproximateSizes: the approximation is
// coarse inside one SST file and for memtables (tests and small customers
// live there), and a counter costs one map update per commit group.
#ifndef EVSTORE_STORAGE_STORED_BYTES_H_
#define EVSTORE_STORAGE_STORED_BYTES_H_

#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "base/mutex.h"
#include "storage/types.h"

namespace evstore {

// Thread-safe.
class StoredBytes {
 public:
  StoredBytes() = default;
  StoredBytes(const StoredBytes&) = delete;
  StoredBytes& operator=(const StoredBytes&) = delete;

  void Add(CustomerKey customer, uint64_t bytes);
  // Retention or stream deletion removed events (never below 0).
  void Subtract(CustomerKey customer, uint64_t bytes);
  // 0 for a customer without events.
  uint64_t Get(CustomerKey customer) const;
  // A deleted customer.
  void Remove(CustomerKey customer);

 private:
  mutable Mutex mu_;
  absl::flat_hash_map<CustomerKey, uint64_t> bytes_ ABSL_GUARDED_BY(mu_);
};

}  // namespace evstore

#endif  // EVSTORE_STORAGE_STORED_BYTES_H_
