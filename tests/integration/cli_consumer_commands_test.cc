// The consumer and lifecycle commands of `evstore` against a real evstored:
// checkpoint commit|get|list|delete, tail from a checkpoint with --commit and
// --partition, stream delete|tombstone and retention set|get, with their
// documented exit codes.
#include <google/protobuf/struct.pb.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/integration/cli_runner.h"
#include "tests/integration/evstored_process.h"
#include "tests/integration/fixed_port_server.h"
#include "tests/integration/run_process.h"
#include "tests/integration/test_events.h"

namespace evstore::testing {
namespace {

using Catch::Matchers::Contains;

constexpr char kCustomer[] = "cli-consumer";

CliRun RunCliFor(const EvstoredProcess& server, std::vector<std::string> args,
                 const std::string& input = "") {
  std::vector<std::string> argv = {
      EvstoreCliPath(),  "--address",  server.address(), "--data_dir",
      server.data_dir(), "--customer", kCustomer};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProcess(argv, {}, std::chrono::seconds(60), input);
}

std::string Describe(const CliRun& run) {
  return "exit " + std::to_string(run.exit_code) + "\nstdout: " + run.out +
         "\nstderr: " + run.err;
}

std::uint64_t NumberField(const google::protobuf::Struct& object,
                          const std::string& name) {
  return static_cast<std::uint64_t>(JsonField(object, name).number_value());
}

// Appends `count` events numbered from `first`, over streams orders/0..4.
void AppendNumbered(const EvstoredProcess& server, int first, int count) {
  std::string lines;
  for (int n = first; n < first + count; ++n) {
    absl::StrAppend(&lines, "{\"stream\":\"orders/", n % 5,
                    "\",\"type\":\"OrderPlaced\",\"data\":{\"n\":", n, "}}\n");
  }
  const CliRun run =
      RunCliFor(server, {"append", "--stdin-format", "envelope"}, lines);
  INFO(Describe(run));
  REQUIRE(run.exit_code == 0);
}

TEST_CASE("cli checkpoint commit get list and delete with exit codes") {
  EvstoredProcess server;
  AppendNumbered(server, 0, 10);

  CliRun run = RunCliFor(server, {"checkpoint", "get", "loader"});
  INFO(Describe(run));
  CHECK(run.exit_code == 3);  // Never committed.

  run = RunCliFor(server, {"checkpoint", "commit", "loader", "7"});
  INFO(Describe(run));
  REQUIRE(run.exit_code == 0);
  std::vector<google::protobuf::Struct> lines = JsonLines(run.out);
  REQUIRE(lines.size() == 1);
  CHECK(JsonField(lines[0], "name").string_value() == "loader");
  CHECK(NumberField(lines[0], "position") == 7);

  run = RunCliFor(server, {"checkpoint", "commit", "loader", "3"});
  CHECK(run.exit_code == 6);  // Backwards.
  run = RunCliFor(server,
                  {"checkpoint", "commit", "loader", "3", "--allow-backwards"});
  CHECK(run.exit_code == 0);
  run = RunCliFor(server, {"checkpoint", "commit", "loader", "11"});
  CHECK(run.exit_code == 7);  // Beyond the head.
  run = RunCliFor(
      server, {"checkpoint", "commit", "loader", "9", "--partition", "1/4"});
  CHECK(run.exit_code == 0);
  run = RunCliFor(server, {"checkpoint", "commit", "loader", "x"});
  CHECK(run.exit_code == 2);
  run =
      RunCliFor(server, {"checkpoint", "get", "loader", "--partition", "4/4"});
  CHECK(run.exit_code == 2);

  run = RunCliFor(server, {"checkpoint", "get", "loader"});
  REQUIRE(run.exit_code == 0);
  CHECK(NumberField(JsonLines(run.out).at(0), "position") == 3);

  run = RunCliFor(server, {"checkpoint", "list"});
  INFO(Describe(run));
  REQUIRE(run.exit_code == 0);
  lines = JsonLines(run.out);
  REQUIRE(lines.size() == 2);
  CHECK(JsonField(lines[0], "partition").string_value().empty());
  CHECK(JsonField(lines[1], "partition").string_value() == "1/4");
  CHECK(NumberField(lines[1], "position") == 9);

  run = RunCliFor(server, {"checkpoint", "list", "--output", "table"});
  REQUIRE(run.exit_code == 0);
  CHECK_THAT(run.out, Contains("NAME"));
  CHECK_THAT(run.out, Contains("1/4"));
  CHECK(NonEmptyLines(run.out).size() == 3);

  run = RunCliFor(server, {"checkpoint", "delete", "loader"});
  REQUIRE(run.exit_code == 0);
  CHECK(JsonField(JsonLines(run.out).at(0), "existed").bool_value());
  run = RunCliFor(server, {"checkpoint", "delete", "loader"});
  REQUIRE(run.exit_code == 0);
  CHECK_FALSE(JsonField(JsonLines(run.out).at(0), "existed").bool_value());
  CHECK(RunCliFor(server, {"checkpoint", "get", "loader"}).exit_code == 3);
}

TEST_CASE("cli tail from a checkpoint with commit resumes where it stopped") {
  EvstoredProcess server;
  AppendNumbered(server, 0, 20);

  CliRun run = RunCliFor(server, {"tail", "--from", "checkpoint:loader",
                                  "--commit", "--count", "8"});
  INFO(Describe(run));
  REQUIRE(run.exit_code == 0);
  std::vector<google::protobuf::Struct> events = JsonLines(run.out);
  REQUIRE(events.size() == 8);
  CHECK(NumberField(events.back(), "position") == 8);
  run = RunCliFor(server, {"checkpoint", "get", "loader"});
  REQUIRE(run.exit_code == 0);
  CHECK(NumberField(JsonLines(run.out).at(0), "position") == 8);

  // The next run starts after 8 and stops once caught up (committing 20).
  run = RunCliFor(server, {"tail", "--from", "checkpoint:loader", "--commit",
                           "--until-caught-up"});
  INFO(Describe(run));
  REQUIRE(run.exit_code == 0);
  events = JsonLines(run.out);
  REQUIRE(events.size() == 12);
  CHECK(NumberField(events.front(), "position") == 9);
  run = RunCliFor(server, {"checkpoint", "get", "loader"});
  CHECK(NumberField(JsonLines(run.out).at(0), "position") == 20);

  // --commit without a checkpoint is a usage error.
  CHECK(RunCliFor(server, {"tail", "--commit", "--count", "1"}).exit_code == 2);
}

TEST_CASE("cli tail with partitions splits the feed and keeps stream order") {
  EvstoredProcess server;
  AppendNumbered(server, 0, 40);
  std::set<std::uint64_t> positions;
  std::map<std::string, int> partition_of_stream;
  for (int i = 0; i < 3; ++i) {
    const CliRun run =
        RunCliFor(server, {"tail", "--partition", absl::StrCat(i, "/3"),
                           "--until-caught-up", "--no-data"});
    INFO(Describe(run));
    REQUIRE(run.exit_code == 0);
    std::uint64_t last = 0;
    for (const google::protobuf::Struct& event : JsonLines(run.out)) {
      const std::uint64_t position = NumberField(event, "position");
      CHECK(position > last);  // Feed order within the partition.
      last = position;
      CHECK(positions.insert(position).second);
      // A stream lives in exactly one partition.
      const auto [it, inserted] = partition_of_stream.emplace(
          JsonField(event, "stream").string_value(), i);
      CHECK(it->second == i);
    }
  }
  CHECK(positions.size() == 40);
  CHECK(RunCliFor(server, {"tail", "--partition", "3/3"}).exit_code == 2);
}

TEST_CASE("cli stream delete and tombstone") {
  EvstoredProcess server;
  AppendNumbered(server, 0, 10);  // orders/0 has revisions 1 and 2.

  CliRun run = RunCliFor(server, {"stream", "delete", "orders/0"});
  INFO(Describe(run));
  REQUIRE(run.exit_code == 0);
  std::vector<google::protobuf::Struct> lines = JsonLines(run.out);
  CHECK(NumberField(lines.at(0), "lastRevision") == 2);
  CHECK(NumberField(lines.at(0), "removedEvents") == 2);
  CHECK_FALSE(JsonField(lines.at(0), "tombstoned").bool_value());
  run = RunCliFor(server, {"read", "--stream", "orders/0"});
  REQUIRE(run.exit_code == 0);
  CHECK(run.out.empty());

  run = RunCliFor(
      server, {"stream", "tombstone", "orders/1", "--expected-revision", "5"});
  CHECK(run.exit_code == 6);  // Its revision is 2.
  run = RunCliFor(server, {"stream", "tombstone", "orders/1"});
  REQUIRE(run.exit_code == 0);
  CHECK(JsonField(JsonLines(run.out).at(0), "tombstoned").bool_value());
  run = RunCliFor(
      server, {"append", "--stream", "orders/1", "--type", "T", "{\"n\":99}"});
  CHECK(run.exit_code == 6);  // Closed for ever.
  CHECK(RunCliFor(server, {"stream", "purge", "orders/1"}).exit_code == 2);
}

TEST_CASE("cli retention set and get") {
  EvstoredProcess server;
  AppendNumbered(server, 0, 3);
  CliRun run = RunCliFor(server, {"retention", "set", kCustomer, "--max-age",
                                  "30d", "--max-bytes", "1000000"});
  INFO(Describe(run));
  REQUIRE(run.exit_code == 0);
  run = RunCliFor(server, {"retention", "get", kCustomer});
  REQUIRE(run.exit_code == 0);
  const std::vector<google::protobuf::Struct> lines = JsonLines(run.out);
  const google::protobuf::Struct& retention =
      JsonField(lines.at(0), "retention").struct_value();
  CHECK(NumberField(retention, "maxAgeSeconds") == 30LL * 86400);
  CHECK(NumberField(retention, "maxBytes") == 1000000);
  CHECK(NumberField(lines.at(0), "headPosition") == 3);
  run = RunCliFor(server, {"retention", "get", kCustomer, "--output", "table"});
  CHECK_THAT(run.out, Contains("MAX_AGE_SECONDS"));
  CHECK(RunCliFor(server, {"retention", "set", kCustomer, "--max-age", "soon"})
            .exit_code == 2);
  CHECK(RunCliFor(server, {"retention", "get", "no-such-customer"}).exit_code ==
        3);
}

TEST_CASE("cli tail survives a server crash without duplicate or gap") {
  EvstoredProcess server(FixedPortServer());
  AppendNumbered(server, 0, 10);
  CliRun tail;
  std::thread tailing([&server, &tail] {
    tail = RunCliFor(server, {"tail", "--count", "20", "--no-data"});
  });
  absl::SleepFor(absl::Seconds(2));  // The tail has printed the first 10.
  server.Kill();
  absl::SleepFor(absl::Milliseconds(500));
  server.Start();
  AppendNumbered(server, 10, 10);
  tailing.join();
  INFO(Describe(tail));
  REQUIRE(tail.exit_code == 0);
  const std::vector<google::protobuf::Struct> events = JsonLines(tail.out);
  REQUIRE(events.size() == 20);
  for (size_t i = 0; i < events.size(); ++i) {
    CHECK(NumberField(events[i], "position") == i + 1);
  }
  CHECK_THAT(tail.err, Contains("resuming after position 10"));
}

}  // namespace
}  // namespace evstore::testing
