// Online backup (`evstore backup`, Admin CreateBackup) under append load, and
// `evstored --restore_from` into a fresh data directory.
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "tests/integration/append_load.h"
#include "tests/integration/cli_runner.h"
#include "tests/integration/evstored_process.h"
#include "tests/integration/run_process.h"
#include "tests/integration/test_events.h"

namespace evstore::testing {
namespace {

// A directory removed with the object.
class TemporaryDirectory {
 public:
  TemporaryDirectory() {
    char path[] = "/tmp/evstore-backup-XXXXXX";
    REQUIRE(mkdtemp(path) != nullptr);
    path_ = path;
  }
  ~TemporaryDirectory() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// `evstore --address <server> --token <admin token> backup <dir>`.
CliRun RunBackup(const EvstoredProcess& server, const std::string& dir) {
  return RunEvstoreCli({"--address", server.address(), "--token",
                        server.AdminToken(), "backup", dir},
                       {}, std::chrono::seconds(120));
}

TEST_CASE(
    "a backup taken under append load restores every event acknowledged "
    "before it started") {
  TemporaryDirectory root;
  const std::string backup_dir = root.path() + "/backup-1";
  EvstoredProcess server;

  std::vector<std::vector<std::string>> acked_before_backup;
  uint64_t acked_at_end = 0;
  {
    AppendLoad load(AppendLoad::Options{}, [&] { return server.Connect(); });
    REQUIRE(load.WaitForAcked(400, absl::Seconds(60)));
    acked_before_backup = load.AckedIds();
    const CliRun backup = RunBackup(server, backup_dir);
    INFO("evstore backup: " << backup.out << backup.err);
    REQUIRE(backup.exit_code == 0);
    const std::vector<google::protobuf::Struct> lines = JsonLines(backup.out);
    REQUIRE(lines.size() == 1);
    CHECK(JsonField(lines[0], "directory").string_value() == backup_dir);
    CHECK(JsonField(lines[0], "files").number_value() > 0);
    // Appends go on after the backup: the load is still being acknowledged.
    const uint64_t after_backup = load.AckedEvents();
    CHECK(load.WaitForAcked(after_backup + 100, absl::Seconds(60)));
    load.Stop();
    CHECK(load.Errors().empty());
    acked_at_end = load.AckedEvents();
  }
  // The bootstrap admin token's secret is not part of the backup.
  CHECK_FALSE(std::filesystem::exists(backup_dir + "/admin.token"));

  // Restore into a data directory that does not exist yet.
  EvstoredProcessOptions restored_options;
  restored_options.data_dir = root.path() + "/restored-data";
  restored_options.extra_flags = {"--restore_from=" + backup_dir};
  EvstoredProcess restored(restored_options);
  // The tokens are in the backup (hashes): the operator's admin token works.
  {
    std::ofstream token_file(restored_options.data_dir + "/admin.token");
    token_file << server.AdminToken() << '\n';
  }
  REQUIRE(restored.AdminToken() == server.AdminToken());
  std::unique_ptr<client::Client> client = restored.Connect();

  uint64_t acked_before_total = 0;
  for (size_t w = 0; w < acked_before_backup.size(); ++w) {
    const std::vector<std::string> stored = IdsOf(ReadStream(
        *client, kOrsted, AppendLoad::StreamOf(static_cast<int>(w))));
    const absl::flat_hash_set<std::string> present(stored.begin(),
                                                   stored.end());
    size_t missing = 0;
    for (const std::string& id : acked_before_backup[w]) {
      missing += !present.contains(id);
    }
    INFO("writer " << w << ": " << acked_before_backup[w].size()
                   << " acknowledged before the backup, " << stored.size()
                   << " restored");
    CHECK(missing == 0);
    acked_before_total += acked_before_backup[w].size();
  }
  const std::vector<v1::RecordedEvent> feed = ReadFeed(*client, kOrsted);
  CHECK(feed.size() >= acked_before_total);
  // Not the appends made after the backup finished.
  CHECK(feed.size() < acked_at_end);
  CHECK(PositionsOf(feed) == Sequence(1, feed.size()));
  // The restored store takes appends, continuing the feed.
  CHECK(MustAppend(*client, SingleWrite(kOrsted, kNominations, 77, 1, 1))
            .first_position() == feed.size() + 1);
  std::printf(
      "backup under load: %llu events acknowledged before the backup, %zu "
      "restored, %llu acknowledged in all\n",
      static_cast<unsigned long long>(acked_before_total), feed.size(),
      static_cast<unsigned long long>(acked_at_end));
}

TEST_CASE("a backup directory must be new and absolute") {
  TemporaryDirectory root;
  EvstoredProcess server;
  const CliRun relative = RunBackup(server, "relative/backup");
  CHECK(relative.exit_code != 0);
  CHECK_THAT(relative.err, Catch::Matchers::Contains("INVALID_ARGUMENT"));
  const CliRun existing = RunBackup(server, root.path());
  CHECK(existing.exit_code != 0);
  CHECK_THAT(existing.err, Catch::Matchers::Contains("already exists"));
  const CliRun inside = RunBackup(server, server.data_dir() + "/backup");
  CHECK(inside.exit_code != 0);
  CHECK_THAT(inside.err, Catch::Matchers::Contains("inside the data"));
  // Without an admin token there is no backup.
  const CliRun anonymous = RunEvstoreCli(
      {"--address", server.address(), "backup", root.path() + "/b"});
  CHECK(anonymous.exit_code != 0);
  CHECK_FALSE(std::filesystem::exists(root.path() + "/b"));
}

TEST_CASE(
    "evstored refuses to restore into a data directory that is not empty") {
  TemporaryDirectory root;
  const std::string backup_dir = root.path() + "/backup";
  std::string data_dir;
  {
    EvstoredProcess server;
    data_dir = root.path() + "/data";
    REQUIRE(RunBackup(server, backup_dir).exit_code == 0);
  }
  std::filesystem::create_directories(data_dir);
  { std::ofstream(data_dir + "/something") << "x"; }
  const ProcessResult result =
      RunProcess({EvstoredPath(), "--listen=127.0.0.1:0",
                  "--data_dir=" + data_dir, "--restore_from=" + backup_dir});
  CHECK(result.exit_code == 1);
  CHECK_THAT(result.err, Catch::Matchers::Contains("not empty"));
}

}  // namespace
}  // namespace evstore::testing
