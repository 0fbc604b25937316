// RocksEventLog::Statistics: RocksDB properties for monitoring.
#include <rocksdb/db.h>

#include <string>
#include <utility>

#include "storage/rocksdb_event_log.h"

namespace evstore {
namespace {

uint64_t IntProperty(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* family,
                     const std::string& property) {
  uint64_t value = 0;
  if (family == nullptr || !db.GetIntProperty(family, property, &value)) {
    return 0;
  }
  return value;
}

}  // namespace

StorageStatistics RocksEventLog::Statistics() {
  StorageStatistics statistics;
  rocksdb::DB* db = rocks_.db.get();
  if (db == nullptr) return statistics;
  const std::pair<const char*, rocksdb::ColumnFamilyHandle*> families[] = {
      {"events", rocks_.events},
      {"streams", rocks_.streams},
      {"ids", rocks_.ids},
      {"meta", rocks_.meta},
      {"default", rocks_.default_family}};
  for (const auto& [name, handle] : families) {
    if (handle == nullptr) continue;
    statistics.families.push_back(StorageStatistics::ColumnFamilyBytes{
        .family = name,
        .sst_bytes = IntProperty(*db, handle, "rocksdb.total-sst-files-size"),
        .memtable_bytes =
            IntProperty(*db, handle, "rocksdb.cur-size-all-mem-tables")});
    statistics.compaction_pending =
        statistics.compaction_pending ||
        IntProperty(*db, handle, "rocksdb.compaction-pending") != 0;
    statistics.pending_compaction_bytes +=
        IntProperty(*db, handle, "rocksdb.estimate-pending-compaction-bytes");
  }
  rocksdb::ColumnFamilyHandle* any = db->DefaultColumnFamily();
  statistics.delayed_write_rate =
      IntProperty(*db, any, "rocksdb.actual-delayed-write-rate");
  statistics.write_stopped =
      IntProperty(*db, any, "rocksdb.is-write-stopped") != 0;
  statistics.running_compactions =
      IntProperty(*db, any, "rocksdb.num-running-compactions");
  statistics.running_flushes =
      IntProperty(*db, any, "rocksdb.num-running-flushes");
  return statistics;
}

}  // namespace evstore
