// The first admin token of an empty data directory.
#include "server/admin_bootstrap.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <string>

#include "storage/access_token.h"
#include "storage/event_log.h"
#include "tests/unit/test_support.h"

using namespace evstore;
using evstore::server::BootstrapAdminToken;
using evstore::testing::TempDir;
using evstore::testing::TestOptions;

namespace {

std::string FirstLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

}  // namespace

TEST_CASE("an empty data directory gets an admin token file of mode 0600") {
  TempDir dir;
  const EventLogOptions options = TestOptions(dir.path());
  auto log = EventLog::Open(options);
  REQUIRE(log.ok());
  auto path = BootstrapAdminToken(options.data_dir, (*log)->tokens(), 1);
  REQUIRE(path.ok());
  REQUIRE(path->has_value());
  REQUIRE(**path == options.data_dir + "/admin.token");
  struct stat info {};
  REQUIRE(stat((*path)->c_str(), &info) == 0);
  REQUIRE((info.st_mode & 0777) == 0600);
  const std::string token = FirstLine(**path);
  REQUIRE(LooksLikeAccessToken(token));
  std::optional<TokenRecord> record =
      (*log)->tokens().Lookup(HashAccessToken(token));
  REQUIRE(record.has_value());
  REQUIRE(record->role == TokenRole::kAdmin);

  // With an admin token, nothing happens (also after a reopen).
  log->reset();
  log = EventLog::Open(options);
  REQUIRE(log.ok());
  auto again = BootstrapAdminToken(options.data_dir, (*log)->tokens(), 2);
  REQUIRE(again.ok());
  REQUIRE_FALSE(again->has_value());
  REQUIRE(FirstLine(**path) == token);
}

TEST_CASE("a stale admin token file is never overwritten") {
  TempDir dir;
  const EventLogOptions options = TestOptions(dir.path());
  auto log = EventLog::Open(options);
  REQUIRE(log.ok());
  { std::ofstream(options.data_dir + "/admin.token") << "evs_old\n"; }
  auto path = BootstrapAdminToken(options.data_dir, (*log)->tokens(), 1);
  REQUIRE(absl::IsFailedPrecondition(path.status()));
  REQUIRE(FirstLine(options.data_dir + "/admin.token") == "evs_old");
  REQUIRE_FALSE((*log)->tokens().HasAdmin());
}
