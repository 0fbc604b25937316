// RocksEventLog::CreateBackup: a RocksDB checkpoint of the open database.
#include <rocksdb/utilities/checkpoint.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "storage/backup.h"
#include "storage/rocksdb_event_log.h"

namespace evstore {

absl::StatusOr<BackupInfo> RocksEventLog::CreateBackup(const std::string& dir) {
  absl::Status valid = ValidateBackupDirectory(dir, options_.data_dir);
  if (!valid.ok()) return valid;
  rocksdb::Checkpoint* raw = nullptr;
  rocksdb::Status s = rocksdb::Checkpoint::Create(rocks_.db.get(), &raw);
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  if (!s.ok()) {
    return absl::InternalError(
        absl::StrCat("cannot start a checkpoint: ", s.ToString()));
  }
  // log_size_for_flush 0: flush the memtables first, so the backup holds
  // table files plus a short write-ahead log. Acknowledged appends are in
  // the WAL either way; RocksDB writes into "<dir>.tmp" and renames it, and
  // removes it on failure.
  BackupInfo info;
  s = checkpoint->CreateCheckpoint(dir, 0, &info.sequence_number);
  if (!s.ok()) {
    return absl::InternalError(
        absl::StrCat("cannot write the backup to ", dir, ": ", s.ToString()));
  }
  absl::StatusOr<DirectoryUsage> usage = UsageOf(dir);
  if (!usage.ok()) return usage.status();
  info.files = usage->files;
  info.bytes = usage->bytes;
  return info;
}

}  // namespace evstore
