// `evstore customer set-quota` against a real evstored: setting, showing and
// clearing a customer's quota, and its usage errors.
#include <google/protobuf/util/message_differencer.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/integration/cli_runner.h"
#include "tests/integration/evstored_process.h"

namespace evstore::testing {
namespace {

using Catch::Matchers::Contains;
using google::protobuf::util::MessageDifferencer;

// `evstore --address <server> --data_dir <its data dir> args...` (the admin
// token comes from <data dir>/admin.token).
CliRun AsAdmin(const EvstoredProcess& server, std::vector<std::string> args) {
  args.insert(args.begin(),
              {"--address", server.address(), "--data_dir", server.data_dir()});
  return RunEvstoreCli(args);
}

std::string Describe(const CliRun& run) {
  return "exit " + std::to_string(run.exit_code) + "\nstdout: " + run.out +
         "\nstderr: " + run.err;
}

// The "quota" object of the one customer `run` printed.
google::protobuf::Struct QuotaOf(const CliRun& run) {
  INFO(Describe(run));
  REQUIRE(run.exit_code == 0);
  std::vector<google::protobuf::Struct> lines = JsonLines(run.out);
  REQUIRE(lines.size() == 1);
  return JsonField(lines[0], "quota").struct_value();
}

}  // namespace

TEST_CASE("evstore customer set-quota sets shows and clears a quota") {
  EvstoredProcess server(EvstoredProcessOptions::ExplicitCustomers());
  REQUIRE(AsAdmin(server, {"customer", "create", "orsted-dk"}).exit_code == 0);
  CHECK(QuotaOf(AsAdmin(server, {"customer", "get", "orsted-dk"}))
            .fields()
            .empty());

  google::protobuf::Struct quota = QuotaOf(AsAdmin(
      server,
      {"customer", "set-quota", "orsted-dk", "--events-per-second", "500",
       "--events-burst", "2000", "--bytes-per-second", "1000000",
       "--max-subscriptions", "10", "--max-stored-bytes", "1073741824"}));
  CHECK(JsonField(quota, "appendEventsPerSecond").number_value() == 500);
  CHECK(JsonField(quota, "appendEventsBurst").number_value() == 2000);
  CHECK(JsonField(quota, "appendBytesPerSecond").number_value() == 1000000);
  CHECK(JsonField(quota, "maxSubscriptions").number_value() == 10);
  CHECK(JsonField(quota, "maxStoredBytes").number_value() == 1073741824);
  CHECK(quota.fields().size() == 5);
  // Shown by get and list too.
  CHECK(MessageDifferencer::Equals(
      QuotaOf(AsAdmin(server, {"customer", "get", "orsted-dk"})), quota));
  CHECK(MessageDifferencer::Equals(
      QuotaOf(AsAdmin(server, {"customer", "list"})), quota));

  // No limits: unlimited again.
  CHECK(QuotaOf(AsAdmin(server, {"customer", "set-quota", "orsted-dk"}))
            .fields()
            .empty());

  CliRun run = AsAdmin(
      server, {"customer", "set-quota", "nobody", "--max-subscriptions", "1"});
  CHECK(run.exit_code == 3);
  CHECK_THAT(run.err, Contains("NOT_FOUND"));
  run = AsAdmin(server,
                {"customer", "set-quota", "orsted-dk", "--events-burst", "5"});
  CHECK(run.exit_code == 1);
  CHECK_THAT(run.err, Contains("quota.append_events_burst"));
  run = AsAdmin(server, {"customer", "set-quota", "orsted-dk",
                         "--events-per-second", "-5"});
  CHECK(run.exit_code == 2);
  CHECK_THAT(run.err, Contains("--events-per-second"));
  run = AsAdmin(server,
                {"customer", "get", "orsted-dk", "--max-subscriptions", "1"});
  CHECK(run.exit_code == 2);
  CHECK_THAT(run.err, Contains("only for set-quota"));
}

}  // namespace evstore::testing
