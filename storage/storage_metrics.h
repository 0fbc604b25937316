// StorageMetricsSink: what the append path reports for monitoring, and
// StorageStatistics: what the database reports when polled. storage/ knows
// nothing of Prometheus; the server implements the sink
// (server/metrics/server_metrics.h) and maps both to metric series.
#ifndef EVSTORE_STORAGE_STORAGE_METRICS_H_
#define EVSTORE_STORAGE_STORAGE_METRICS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace evstore {

// Receives the append path's measurements. Every method is called on one of
// the group committer's two threads while appends wait: it must be cheap,
// must not block and must not call back into the event log.
class StorageMetricsSink {
 public:
  virtual ~StorageMetricsSink() = default;

  // Commit thread, once per commit group written (one RocksDB write):
  // `appends` appends carrying `events` new events (duplicates and rejected
  // appends add no events).
  virtual void OnGroupWritten(size_t appends, size_t events) = 0;

  // Sync thread, once per WAL fsync (Durability::kFsync only), whether it
  // succeeded or not.
  virtual void OnWalSynced(absl::Duration duration) = 0;

  // Sync thread, once per customer and fsync: `events` events carrying
  // `data_bytes` bytes of event data became durable and visible.
  virtual void OnEventsDurable(const std::string& customer, size_t events,
                               uint64_t data_bytes) = 0;

  // Sync thread, once `customer` is durably deleted (EventLog::
  // DeleteCustomer): its per-customer measurements may be dropped.
  virtual void OnCustomerDeleted(const std::string& customer) = 0;

  // Retention thread, after each segment retention dropped: `events` events
  // of `customer` left with it.
  virtual void OnSegmentDropped(const std::string& customer, uint64_t events) {
    (void)customer;
    (void)events;
  }

  // Retention thread, after a round that failed with `status` (it is tried
  // again at the next interval).
  virtual void OnRetentionFailed(const absl::Status& status) { (void)status; }
};

// A snapshot of the database's size and background work (RocksDB
// properties), for monitoring.
struct StorageStatistics {
  struct ColumnFamilyBytes {
    std::string family;
    // rocksdb.total-sst-files-size (on disk, all levels).
    uint64_t sst_bytes = 0;
    // rocksdb.cur-size-all-mem-tables (memory, not yet flushed).
    uint64_t memtable_bytes = 0;
  };
  std::vector<ColumnFamilyBytes> families;
  // rocksdb.actual-delayed-write-rate: bytes/s writes are throttled to;
  // 0 while they are not delayed.
  uint64_t delayed_write_rate = 0;
  // rocksdb.is-write-stopped: writes are stopped until compaction catches up.
  bool write_stopped = false;
  // rocksdb.num-running-compactions and num-running-flushes.
  uint64_t running_compactions = 0;
  uint64_t running_flushes = 0;
  // rocksdb.compaction-pending (any family).
  bool compaction_pending = false;
  // rocksdb.estimate-pending-compaction-bytes, summed over the families.
  uint64_t pending_compaction_bytes = 0;
};

}  // namespace evstore

#endif  // EVSTORE_STORAGE_STORAGE_METRICS_H_
