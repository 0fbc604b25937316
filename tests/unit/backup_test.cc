// Backups of the event log (EventLog::CreateBackup) and their restore
// (RestoreBackup), and where a backup may be written.
#include "storage/backup.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "storage/event_log.h"
#include "tests/unit/test_support.h"

namespace evstore::testing {
namespace {

TEST_CASE("a backup restores to the events and heads of the log") {
  TempDir dir;
  const EventLogOptions options = TestOptions(dir.path());
  const std::string backup = dir.path() + "/backup";
  {
    std::unique_ptr<EventLog> log = *EventLog::Open(options);
    REQUIRE(AppendSync(*log, OneStream("orsted-dk", "contract/A", 5)).ok());
    REQUIRE(AppendSync(*log, OneStream("gasum", "contract/B", 3)).ok());
    absl::StatusOr<BackupInfo> info = log->CreateBackup(backup);
    INFO(info.status());
    REQUIRE(info.ok());
    CHECK(info->files > 0);
    CHECK(info->bytes > 0);
    // Appended after the backup: not in it.
    REQUIRE(AppendSync(*log, OneStream("orsted-dk", "contract/A", 2)).ok());
  }
  EventLogOptions restored = options;
  restored.data_dir = dir.path() + "/restored";
  REQUIRE(RestoreBackup(backup, restored.data_dir)
              .value_or(RestoreOutcome::kAlreadyRestored) ==
          RestoreOutcome::kRestored);
  std::unique_ptr<EventLog> log = *EventLog::Open(restored);
  CHECK(ReadAll(*log, "orsted-dk").size() == 5);
  CHECK(ReadAll(*log, "gasum").size() == 3);
  CHECK(log->Head("orsted-dk") == FeedPosition(5));
  REQUIRE(AppendSync(*log, OneStream("orsted-dk", "contract/A", 1)).ok());
  CHECK(log->Head("orsted-dk") == FeedPosition(6));
}

TEST_CASE("a backup goes only to a new absolute directory outside the data") {
  TempDir dir;
  const std::string data = dir.path() + "/data";
  std::filesystem::create_directories(data);
  CHECK(ValidateBackupDirectory(dir.path() + "/b", data).ok());
  CHECK(absl::IsInvalidArgument(ValidateBackupDirectory("relative/b", data)));
  CHECK(absl::IsInvalidArgument(
      ValidateBackupDirectory(dir.path() + "/x/../b", data)));
  CHECK(absl::IsInvalidArgument(
      ValidateBackupDirectory(dir.path() + "/b/", data)));
  CHECK(absl::IsInvalidArgument(ValidateBackupDirectory(data + "/b", data)));
  CHECK(absl::IsInvalidArgument(ValidateBackupDirectory(data, data)));
  CHECK(absl::IsFailedPrecondition(ValidateBackupDirectory(dir.path(), data)));
  CHECK(absl::IsFailedPrecondition(
      ValidateBackupDirectory(dir.path() + "/missing/b", data)));
}

TEST_CASE("a restore needs a backup and an empty data directory") {
  TempDir dir;
  const EventLogOptions options = TestOptions(dir.path());
  const std::string backup = dir.path() + "/backup";
  {
    std::unique_ptr<EventLog> log = *EventLog::Open(options);
    REQUIRE(log->CreateBackup(backup).ok());
  }
  const std::string full = dir.path() + "/full";
  std::filesystem::create_directories(full);
  { std::ofstream(full + "/file") << "x"; }
  CHECK(absl::IsFailedPrecondition(RestoreBackup(backup, full).status()));
  CHECK(std::filesystem::exists(full + "/file"));
  CHECK(absl::IsFailedPrecondition(
      RestoreBackup(full, dir.path() + "/new").status()));
  const std::string empty = dir.path() + "/empty";
  std::filesystem::create_directories(empty);
  CHECK(RestoreBackup(backup, empty).ok());
  CHECK(std::filesystem::exists(empty + "/CURRENT"));
}

TEST_CASE("restoring the same backup again keeps the data appended since") {
  TempDir dir;
  const EventLogOptions options = TestOptions(dir.path());
  const std::string backup = dir.path() + "/backup";
  {
    std::unique_ptr<EventLog> log = *EventLog::Open(options);
    REQUIRE(AppendSync(*log, OneStream("orsted-dk", "contract/A", 2)).ok());
    REQUIRE(log->CreateBackup(backup).ok());
  }
  EventLogOptions restored = options;
  restored.data_dir = dir.path() + "/restored";
  REQUIRE(*RestoreBackup(backup, restored.data_dir) ==
          RestoreOutcome::kRestored);
  {
    std::unique_ptr<EventLog> log = *EventLog::Open(restored);
    REQUIRE(AppendSync(*log, OneStream("orsted-dk", "contract/A", 3)).ok());
  }
  // A restart with --restore_from still set: nothing is copied over.
  absl::StatusOr<RestoreOutcome> again =
      RestoreBackup(backup, restored.data_dir);
  REQUIRE(again.ok());
  CHECK(*again == RestoreOutcome::kAlreadyRestored);
  std::unique_ptr<EventLog> log = *EventLog::Open(restored);
  CHECK(log->Head("orsted-dk") == FeedPosition(5));
  // Another backup into that directory is still refused.
  const std::string other = dir.path() + "/other";
  REQUIRE(log->CreateBackup(other).ok());
  CHECK(absl::IsFailedPrecondition(
      RestoreBackup(other, restored.data_dir).status()));
}

}  // namespace
}  // namespace evstore::testing
