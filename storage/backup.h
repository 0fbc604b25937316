// Backups of the event log on the server's file system: where a backup may
// be written, and restoring one into a data directory.
//
// A backup (EventLog::CreateBackup) is a directory holding a RocksDB
// checkpoint: the table files, the MANIFEST, CURRENT, OPTIONS and the
// write-ahead log at the moment of the backup. It holds the whole database:
// events, streams, event ids, customers, quotas and the SHA-256 hashes of the
// access tokens, so every token that worked at backup time works again
// after a restore. It does not hold <data_dir>/admin.token (the bootstrap
// admin token's secret is never copied): keep that secret yourself.
#ifndef EVSTORE_STORAGE_BACKUP_H_
#define EVSTORE_STORAGE_BACKUP_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace evstore {

// OK when `dir` may receive a backup of the log in `data_dir`: an absolute
// path, normalized (no "." or ".." parts), that does not exist yet, whose
// parent directory exists, and that is neither inside `data_dir` nor
// `data_dir` itself. INVALID_ARGUMENT naming the problem otherwise
// (FAILED_PRECONDITION when the path exists or its parent does not).
absl::Status ValidateBackupDirectory(const std::string& dir,
                                     const std::string& data_dir);

// The number and total size of the regular files directly in `dir`.
struct DirectoryUsage {
  uint64_t files = 0;
  uint64_t bytes = 0;
};
absl::StatusOr<DirectoryUsage> UsageOf(const std::string& dir);

// What RestoreBackup did.
enum class RestoreOutcome {
  // The backup was copied into the data directory.
  kRestored,
  // The data directory already holds a completed restore of this very
  // backup directory (see kRestoredFromFile), possibly with appends made
  // since: nothing was copied, so that a restart with --restore_from still
  // given (e.g. left in a Kubernetes ConfigMap) opens the data as it is.
  kAlreadyRestored,
};

// The file RestoreBackup writes into the data directory, last, holding the
// backup directory's path and a newline: it marks a completed restore.
inline constexpr char kRestoredFromFile[] = "RESTORED_FROM";

// Copies the backup in `backup_dir` into `data_dir`, which must be missing
// (it is created) or empty, so that opening `data_dir` opens the backup.
// Every file is fsync'd, CURRENT is copied after the table files, then
// kRestoredFromFile is written, and the directory is fsync'd, so a restore
// that completed survives a crash. kAlreadyRestored when `data_dir` holds
// kRestoredFromFile naming `backup_dir` (exactly as given). FAILED_PRECONDITION
// when `data_dir` is otherwise not empty or `backup_dir` is not a backup (no
// CURRENT or MANIFEST file); the I/O error otherwise. A failed restore may
// leave files (but no kRestoredFromFile) in `data_dir`: empty it before
// trying again.
absl::StatusOr<RestoreOutcome> RestoreBackup(const std::string& backup_dir,
                                             const std::string& data_dir);

}  // namespace evstore

#endif  // EVSTORE_STORAGE_BACKUP_H_
