// `evstore export` and `evstore import` against a real evstored: a feed
// exported to NDJSON and imported into another customer arrives complete and
// in order, importing it again appends nothing (idempotent by ids, also with
// another batch size), and ranges, progress and exit codes behave as
// documented.
#include <google/protobuf/struct.pb.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/integration/cli_runner.h"
#include "tests/integration/evstored_process.h"
#include "tests/integration/run_process.h"
#include "tests/integration/test_events.h"

namespace evstore::testing {
namespace {

using Catch::Matchers::Contains;

constexpr char kSource[] = "export-source";
constexpr char kTarget[] = "import-target";

// `evstore --address <server> --data_dir <data dir> --customer <customer>
// args...` with `input` on stdin.
CliRun RunCliFor(const EvstoredProcess& server, const std::string& customer,
                 std::vector<std::string> args, const std::string& input = "") {
  std::vector<std::string> argv = {
      EvstoreCliPath(),  "--address",  server.address(), "--data_dir",
      server.data_dir(), "--customer", customer};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProcess(argv, {}, std::chrono::seconds(60), input);
}

std::string Describe(const CliRun& run) {
  return "exit " + std::to_string(run.exit_code) + "\nstdout: " + run.out +
         "\nstderr: " + run.err;
}

// 30 events over three streams, interleaved, so that import batches must
// split to keep feed order.
std::string SourceEvents() {
  std::string lines;
  for (int n = 0; n < 30; ++n) {
    absl::StrAppend(&lines, "{\"stream\":\"orders/", n % 3,
                    "\",\"type\":\"OrderPlaced\",\"id\":\"",
                    TestUuid(0x1e, static_cast<uint64_t>(n)),
                    "\",\"data\":{\"n\":", n, "},\"metadata\":{\"k\":\"v", n,
                    "\"}}\n");
  }
  return lines;
}

std::vector<v1::RecordedEvent> Feed(const EvstoredProcess& server,
                                    const std::string& customer) {
  v1::ReadRequest request;
  request.set_customer(customer);
  request.set_max_count(1000);
  absl::StatusOr<std::vector<v1::RecordedEvent>> events =
      server.Connect()->ReadAll(request);
  REQUIRE(events.ok());
  return *events;
}

std::uint64_t NumberField(const google::protobuf::Struct& object,
                          const std::string& name) {
  return static_cast<std::uint64_t>(JsonField(object, name).number_value());
}

TEST_CASE("cli export then import copies a feed in order and twice is once") {
  EvstoredProcess server;
  CliRun run =
      RunCliFor(server, kSource, {"append", "--stdin-format", "envelope"},
                SourceEvents());
  REQUIRE(run.exit_code == 0);

  const std::string file = server.data_dir() + "/../export.ndjson";
  run = RunCliFor(server, kSource, {"export", "--file", file});
  INFO(Describe(run));
  REQUIRE(run.exit_code == 0);
  CHECK(run.out.empty());
  CHECK_THAT(run.err, Contains("exported 30 events"));
  // Not a terminal and no --progress: no progress line.
  CHECK_FALSE(run.err.find("events/s\x1b") != std::string::npos);
  std::stringstream contents;
  contents << std::ifstream(file).rdbuf();
  REQUIRE(NonEmptyLines(contents.str()).size() == 30);

  run = RunCliFor(server, kTarget, {"import", file});
  INFO(Describe(run));
  REQUIRE(run.exit_code == 0);
  std::vector<google::protobuf::Struct> summary = JsonLines(run.out);
  REQUIRE(summary.size() == 1);
  CHECK(NumberField(summary[0], "events") == 30);
  CHECK(NumberField(summary[0], "appended") == 30);
  CHECK(NumberField(summary[0], "duplicates") == 0);

  const std::vector<v1::RecordedEvent> source = Feed(server, kSource);
  const std::vector<v1::RecordedEvent> target = Feed(server, kTarget);
  REQUIRE(target.size() == source.size());
  for (size_t i = 0; i < source.size(); ++i) {
    CHECK(target[i].id() == source[i].id());
    CHECK(target[i].stream() == source[i].stream());
    CHECK(target[i].revision() == source[i].revision());
    CHECK(target[i].type() == source[i].type());
    CHECK(target[i].data() == source[i].data());
    CHECK(target[i].metadata().at("k") == source[i].metadata().at("k"));
  }

  // Again, and again with another batching (from stdin): nothing new.
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"import", "--file", file},
        std::vector<std::string>{"import", "--batch-size", "7"}}) {
    run = RunCliFor(server, kTarget, args, contents.str());
    INFO(Describe(run));
    REQUIRE(run.exit_code == 0);
    summary = JsonLines(run.out);
    REQUIRE(summary.size() == 1);
    CHECK(NumberField(summary[0], "appended") == 0);
    CHECK(NumberField(summary[0], "duplicates") == 30);
  }
  CHECK(Feed(server, kTarget).size() == 30);
}

TEST_CASE("cli import after a partial import appends only the rest") {
  EvstoredProcess server;
  const std::string all = SourceEvents();
  REQUIRE(
      RunCliFor(server, kSource, {"append", "--stdin-format", "envelope"}, all)
          .exit_code == 0);
  const CliRun exported = RunCliFor(server, kSource, {"export"});
  REQUIRE(exported.exit_code == 0);
  const std::vector<std::string> lines = NonEmptyLines(exported.out);
  REQUIRE(lines.size() == 30);
  std::string first_part;
  for (size_t i = 0; i < 11; ++i) absl::StrAppend(&first_part, lines[i], "\n");
  REQUIRE(
      RunCliFor(server, kTarget, {"import", "--batch-size", "4"}, first_part)
          .exit_code == 0);

  const CliRun run =
      RunCliFor(server, kTarget, {"import", "--batch-size", "5"}, exported.out);
  INFO(Describe(run));
  REQUIRE(run.exit_code == 0);
  const std::vector<google::protobuf::Struct> summary = JsonLines(run.out);
  CHECK(NumberField(summary[0], "appended") == 19);
  CHECK(NumberField(summary[0], "duplicates") == 11);
  const std::vector<v1::RecordedEvent> target = Feed(server, kTarget);
  REQUIRE(target.size() == 30);
  for (size_t i = 0; i < target.size(); ++i) {
    CHECK(target[i].id() == TestUuid(0x1e, i));
  }
}

TEST_CASE("cli export of a range writes exactly those positions") {
  EvstoredProcess server;
  REQUIRE(RunCliFor(server, kSource, {"append", "--stdin-format", "envelope"},
                    SourceEvents())
              .exit_code == 0);
  const CliRun run = RunCliFor(server, kSource,
                               {"export", "--from", "5", "--to", "12",
                                "--page-size", "3", "--progress"});
  INFO(Describe(run));
  REQUIRE(run.exit_code == 0);
  const std::vector<google::protobuf::Struct> events = JsonLines(run.out);
  REQUIRE(events.size() == 8);
  for (size_t i = 0; i < events.size(); ++i) {
    CHECK(NumberField(events[i], "position") == 5 + i);
  }
  // --progress draws position/last and the rate on stderr.
  CHECK_THAT(run.err, Contains("export: position 12/12"));
  CHECK_THAT(run.err, Contains("events/s"));
}

TEST_CASE("cli import rejects a line without id and exit codes are usage") {
  EvstoredProcess server;
  CliRun run =
      RunCliFor(server, kTarget, {"import"},
                "{\"stream\":\"s\",\"type\":\"T\",\"data\":{\"n\":1}}\n");
  INFO(Describe(run));
  CHECK(run.exit_code == 2);
  CHECK_THAT(run.err, Contains("line 1"));
  CHECK_THAT(run.err, Contains("id"));
  run = RunCliFor(server, kTarget, {"import", "/nonexistent/file.ndjson"});
  CHECK(run.exit_code == 2);
  run = RunCliFor(server, kTarget, {"export", "--from", "9", "--to", "3"});
  CHECK(run.exit_code == 2);
}

TEST_CASE("cli exit codes tell permission and unavailable apart") {
  EvstoredProcess server;
  // A token that names no live token: UNAUTHENTICATED, exit 4.
  std::vector<std::string> argv = {
      EvstoreCliPath(),       "--address",  server.address(), "--token",
      "evs_not_a_real_token", "--customer", kSource,          "read"};
  CliRun run = RunProcess(argv, {}, std::chrono::seconds(20));
  INFO(Describe(run));
  CHECK(run.exit_code == 4);
  // Nothing listening: UNAVAILABLE, exit 5.
  const std::string address = server.address();
  server.Stop();
  argv = {EvstoreCliPath(), "--address", address,
          "--customer",     kSource,     "read"};
  run = RunProcess(argv, {}, std::chrono::seconds(20));
  INFO(Describe(run));
  CHECK(run.exit_code == 5);
  run = RunProcess({EvstoreCliPath(), "--help"}, {}, std::chrono::seconds(20));
  CHECK_THAT(run.out, Contains("5 unavailable"));
  CHECK_THAT(run.out, Contains("4 unauthenticated or permission denied"));
}

}  // namespace
}  // namespace evstore::testing
