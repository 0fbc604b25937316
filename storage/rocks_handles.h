// The open RocksDB database and its column families, shared by the parts of
// the RocksDB event log. Internal to storage/.
#ifndef EVSTORE_STORAGE_ROCKS_HANDLES_H_
#define EVSTORE_STORAGE_ROCKS_HANDLES_H_

#include <rocksdb/db.h>

#include <memory>

namespace evstore {

// Owns the database; the column family handles are owned by it (destroyed
// in Close before the DB). Constant after open; RocksDB itself is
// thread-safe.
struct RocksHandles {
  RocksHandles() = default;
  RocksHandles(const RocksHandles&) = delete;
  RocksHandles& operator=(const RocksHandles&) = delete;
  ~RocksHandles();

  std::unique_ptr<rocksdb::DB> db;
  rocksdb::ColumnFamilyHandle* events = nullptr;
  rocksdb::ColumnFamilyHandle* streams = nullptr;
  rocksdb::ColumnFamilyHandle* ids = nullptr;
  rocksdb::ColumnFamilyHandle* meta = nullptr;
  rocksdb::ColumnFamilyHandle* default_family = nullptr;
};

}  // namespace evstore

#endif  // EVSTORE_STORAGE_ROCKS_HANDLES_H_
