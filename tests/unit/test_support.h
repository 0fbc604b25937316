// Helpers for storage tests: temporary data directories and synchronous
// appends.
#ifndef EVSTORE_TESTS_UNIT_TEST_SUPPORT_H_
#define EVSTORE_TESTS_UNIT_TEST_SUPPORT_H_

#include <rocksdb/db.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "storage/event_log.h"

namespace evstore::testing {

// A fresh directory under the system temp dir, removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

EventLogOptions TestOptions(const std::string& dir);

// Appends and waits for the callback.
absl::StatusOr<AppendResult> AppendSync(EventLog& log, AppendBatch batch);

// Creates a customer and waits for the callback.
absl::Status CreateCustomerSync(EventLog& log, std::string_view customer);

// Deletes a customer and waits for the callback; on success, stores the
// number of revoked tokens in `*revoked_tokens` (when not null).
absl::Status DeleteCustomerSync(EventLog& log, std::string_view customer,
                                size_t* revoked_tokens = nullptr);

// A random (version 4) event id.
EventId RandomId();

// An event with a small JSON payload.
ProposedEvent MakeEvent(std::string type = "TimeSeriesValuesChanged",
                        std::string data = R"({"value":1})");

// A one-stream batch of `count` events.
AppendBatch OneStream(std::string customer, std::string stream, size_t count,
                      ExpectedRevision expected = ExpectedRevision::Any());

// The log's RocksDB database opened directly (the log must be closed), for
// tests that inspect or damage what is on disk.
class RawDatabase {
 public:
  RawDatabase(const std::string& data_dir, bool read_only);
  ~RawDatabase();
  RawDatabase(const RawDatabase&) = delete;
  RawDatabase& operator=(const RawDatabase&) = delete;
  rocksdb::DB& db() { return *db_; }
  rocksdb::ColumnFamilyHandle* family(const std::string& name);

 private:
  std::vector<std::string> names_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  rocksdb::DB* db_ = nullptr;
};

// Reads the whole feed forwards.
std::vector<RecordedEvent> ReadAll(EventLog& log, const std::string& customer);

}  // namespace evstore::testing

#endif  // EVSTORE_TESTS_UNIT_TEST_SUPPORT_H_
