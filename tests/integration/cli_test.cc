// The `evstore` command-line client against a real evstored: append from
// arguments and from NDJSON on stdin, read, get, tail, and its exit codes.
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "tests/integration/evstored_process.h"
#include "tests/integration/run_process.h"
#include "tests/integration/test_events.h"

namespace evstore::testing {
namespace {

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using google::protobuf::Struct;
using google::protobuf::Value;

using CliResult = ProcessResult;

// Runs `evstore args...` with `input` on stdin, without any EVSTORE_*
// variables in its environment. Kills it after `timeout`.
CliResult RunCli(const std::vector<std::string>& args,
                 const std::string& input = "",
                 std::chrono::seconds timeout = std::chrono::seconds(20)) {
  std::vector<std::string> argv = {EvstoreCliPath()};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProcess(argv, {}, timeout, input);
}

// `evstore --address <server> --data_dir <its data dir> --customer
// <customer> args...` (the CLI takes the admin token from
// <data_dir>/admin.token).
CliResult RunCliFor(const EvstoredProcess& server, const std::string& customer,
                    std::vector<std::string> args,
                    const std::string& input = "") {
  args.insert(args.begin(), {"--address", server.address(), "--data_dir",
                             server.data_dir(), "--customer", customer});
  return RunCli(args, input);
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

Struct ParseJsonObject(const std::string& line) {
  Struct object;
  const auto status =
      google::protobuf::util::JsonStringToMessage(line, &object);
  INFO("line: " << line << "\nparse status: " << status.ToString());
  REQUIRE(status.ok());
  return object;
}

std::vector<Struct> ParseNdjson(const std::string& text) {
  std::vector<Struct> objects;
  for (const std::string& line : Lines(text))
    objects.push_back(ParseJsonObject(line));
  return objects;
}

const Value& Field(const Struct& object, const std::string& name) {
  const auto it = object.fields().find(name);
  INFO("missing field " << name);
  REQUIRE(it != object.fields().end());
  return it->second;
}
std::string StringField(const Struct& object, const std::string& name) {
  return Field(object, name).string_value();
}
uint64_t NumberField(const Struct& object, const std::string& name) {
  return static_cast<uint64_t>(Field(object, name).number_value());
}
bool Has(const Struct& object, const std::string& name) {
  return object.fields().count(name) > 0;
}

// Whether the JSON texts denote the same value.
bool SameJson(const std::string& a, const std::string& b) {
  Value va;
  Value vb;
  if (!google::protobuf::util::JsonStringToMessage(a, &va).ok()) return false;
  if (!google::protobuf::util::JsonStringToMessage(b, &vb).ok()) return false;
  return google::protobuf::util::MessageDifferencer::Equals(va, vb);
}

std::string JsonOf(const Value& value) {
  std::string text;
  REQUIRE(google::protobuf::util::MessageToJsonString(value, &text).ok());
  return text;
}

constexpr char kPayload1[] =
    R"({"contract":"DS000068", "gasDay":"2026-11-27", "status":"16G",)"
    R"( "hourly":[{"utc":"2026-11-27T05:00:00Z","value":125000}]})";
constexpr char kPayload1Minified[] =
    R"({"contract":"DS000068","gasDay":"2026-11-27","status":"16G",)"
    R"("hourly":[{"utc":"2026-11-27T05:00:00Z","value":125000}]})";
constexpr char kPayload2[] =
    R"({"contract":"DS000068","gasDay":"2026-11-28","status":"15G","hourly":[]})";

TEST_CASE(
    "cli append with JSON arguments records one atomic append and prints its "
    "result") {
  EvstoredProcess server;
  const CliResult result = RunCliFor(
      server, kOrsted,
      {"append", "--stream", kNominations, "--type", kNominationResponse,
       "--expected-revision", "no_stream", "--metadata", "source=tso", "--id",
       TestUuid(1, 1), "--id", TestUuid(1, 2), kPayload1, kPayload2});
  INFO("stderr: " << result.err);
  REQUIRE(result.exit_code == 0);
  const std::vector<Struct> lines = ParseNdjson(result.out);
  REQUIRE(lines.size() == 1);
  CHECK(NumberField(lines[0], "firstPosition") == 1);
  CHECK(NumberField(lines[0], "lastPosition") == 2);
  CHECK_FALSE(Field(lines[0], "duplicate").bool_value());
  const auto& streams = Field(lines[0], "streams").list_value().values();
  REQUIRE(streams.size() == 1);
  CHECK(StringField(streams[0].struct_value(), "stream") == kNominations);
  CHECK(NumberField(streams[0].struct_value(), "firstRevision") == 1);
  CHECK(NumberField(streams[0].struct_value(), "lastRevision") == 2);

  auto client = server.Connect();
  const std::vector<v1::RecordedEvent> feed = ReadFeed(*client, kOrsted);
  REQUIRE(feed.size() == 2);
  CHECK(feed[0].id() == TestUuid(1, 1));
  CHECK(feed[0].type() == kNominationResponse);
  CHECK(feed[0].content_type() == "application/json");
  // Stored minified, with key order and numbers as written.
  CHECK(feed[0].data() == kPayload1Minified);
  CHECK(feed[0].metadata().at("source") == "tso");
  CHECK(feed[1].id() == TestUuid(1, 2));
  CHECK(feed[1].data() == kPayload2);
  CHECK(feed[1].revision() == 2);

  // The same command again is an idempotent duplicate of the first.
  const CliResult retry = RunCliFor(
      server, kOrsted,
      {"append", "--stream", kNominations, "--type", kNominationResponse,
       "--expected-revision", "no_stream", "--metadata", "source=tso", "--id",
       TestUuid(1, 1), "--id", TestUuid(1, 2), kPayload1, kPayload2});
  REQUIRE(retry.exit_code == 0);
  const std::vector<Struct> retry_lines = ParseNdjson(retry.out);
  REQUIRE(retry_lines.size() == 1);
  CHECK(Field(retry_lines[0], "duplicate").bool_value());
  CHECK(NumberField(retry_lines[0], "firstPosition") == 1);
  CHECK(FeedHead(*client, kOrsted) == 2);
}

TEST_CASE(
    "cli append reads NDJSON events of several streams from stdin as atomic "
    "batches") {
  EvstoredProcess server;
  // Envelopes for two streams and bare payloads for --stream; a stream that
  // comes back after another starts a new append.
  std::string input;
  const auto envelope = [](const std::string& stream, const std::string& id,
                           const std::string& data) {
    return R"({"stream":")" + stream + R"(","type":"ForecastImported","id":")" +
           id + R"(","data":)" + data + "}\n";
  };
  input += envelope(kForecast, TestUuid(2, 1), NominationJson(1));          // A
  input += envelope(kForecast, TestUuid(2, 2), NominationJson(2));          // A
  input += envelope(kOtherNominations, TestUuid(2, 3), NominationJson(3));  // B
  input += "\n";                      // blank
  input += NominationJson(4) + "\n";  // C (--stream)
  input += envelope(kForecast, TestUuid(2, 5), NominationJson(5));  // A again
  input += envelope(kOtherNominations, TestUuid(2, 6), NominationJson(6));  // B
  input += NominationJson(7) + "\n";                                        // C

  const CliResult result =
      RunCliFor(server, kOrsted,
                {"append", "--stream", kNominations, "--type",
                 kNominationResponse, "--batch", "10"},
                input);
  INFO("stderr: " << result.err);
  REQUIRE(result.exit_code == 0);
  const std::vector<Struct> lines = ParseNdjson(result.out);
  // [A A B C] and [A B C]: two appends.
  REQUIRE(lines.size() == 2);
  CHECK(NumberField(lines[0], "firstPosition") == 1);
  CHECK(NumberField(lines[0], "lastPosition") == 4);
  CHECK(Field(lines[0], "streams").list_value().values_size() == 3);
  CHECK(NumberField(lines[1], "firstPosition") == 5);
  CHECK(NumberField(lines[1], "lastPosition") == 7);
  const auto& second = Field(lines[1], "streams").list_value().values();
  REQUIRE(second.size() == 3);
  CHECK(StringField(second[0].struct_value(), "stream") == kForecast);
  CHECK(NumberField(second[0].struct_value(), "firstRevision") == 3);
  CHECK(StringField(second[2].struct_value(), "stream") == kNominations);
  CHECK(NumberField(second[2].struct_value(), "lastRevision") == 2);

  auto client = server.Connect();
  const std::vector<v1::RecordedEvent> feed = ReadFeed(*client, kOrsted);
  REQUIRE(feed.size() == 7);
  const std::vector<std::string> streams = {
      kForecast, kForecast,         kOtherNominations, kNominations,
      kForecast, kOtherNominations, kNominations};
  for (size_t i = 0; i < feed.size(); ++i) {
    INFO("position " << i + 1);
    CHECK(feed[i].stream() == streams[i]);
    CHECK(feed[i].data() == NominationJson(i + 1));
  }
  CHECK(feed[0].type() == kForecastImported);
  CHECK(feed[0].id() == TestUuid(2, 1));
  CHECK(feed[3].type() == kNominationResponse);
  CHECK(feed[3].id().size() == 36);  // a random id

  // --batch bounds the events per append.
  std::string many;
  for (int i = 0; i < 5; ++i) many += NominationJson(10 + i) + "\n";
  const CliResult batched =
      RunCliFor(server, kOrsted,
                {"append", "--stream", kForecast, "--type", kForecastImported,
                 "--batch", "2"},
                many);
  REQUIRE(batched.exit_code == 0);
  const std::vector<Struct> batch_lines = ParseNdjson(batched.out);
  REQUIRE(batch_lines.size() == 3);
  CHECK(NumberField(batch_lines[0], "firstPosition") == 8);
  CHECK(NumberField(batch_lines[0], "lastPosition") == 9);
  CHECK(NumberField(batch_lines[2], "firstPosition") == 12);
  CHECK(NumberField(batch_lines[2], "lastPosition") == 12);
}

TEST_CASE("cli read prints recorded events as NDJSON") {
  EvstoredProcess server;
  auto client = server.Connect();
  v1::AppendRequest request;
  request.set_customer(kOrsted);
  AddWrite(request, kNominations, 3, 1, 3);
  AddWrite(request, kForecast, 3, 4, 2);
  MustAppend(*client, request);
  const std::vector<v1::RecordedEvent> recorded = ReadFeed(*client, kOrsted);

  CliResult result = RunCliFor(server, kOrsted, {"read"});
  INFO("stderr: " << result.err);
  REQUIRE(result.exit_code == 0);
  std::vector<Struct> events = ParseNdjson(result.out);
  REQUIRE(events.size() == 5);
  for (size_t i = 0; i < events.size(); ++i) {
    INFO("line " << i + 1);
    const Struct& e = events[i];
    CHECK(StringField(e, "customer") == kOrsted);
    CHECK(StringField(e, "stream") == recorded[i].stream());
    CHECK(NumberField(e, "revision") == recorded[i].revision());
    CHECK(NumberField(e, "position") == i + 1);
    CHECK(StringField(e, "id") == TestUuid(3, i + 1));
    CHECK(StringField(e, "type") == kNominationResponse);
    CHECK(StringField(e, "contentType") == "application/json");
    CHECK(SameJson(JsonOf(Field(e, "data")), NominationJson(i + 1)));
    CHECK(StringField(Field(e, "metadata").struct_value(), "source") == "tso");
    CHECK_THAT(StringField(e, "recordedAt"), StartsWith("20"));
  }

  result =
      RunCliFor(server, kOrsted, {"read", "--backwards", "--max-count", "2"});
  REQUIRE(result.exit_code == 0);
  events = ParseNdjson(result.out);
  REQUIRE(events.size() == 2);
  CHECK(NumberField(events[0], "position") == 5);
  CHECK(NumberField(events[1], "position") == 4);

  result =
      RunCliFor(server, kOrsted,
                {"read", "--stream", kNominations, "--from", "2", "--no-data"});
  REQUIRE(result.exit_code == 0);
  events = ParseNdjson(result.out);
  REQUIRE(events.size() == 2);
  CHECK(NumberField(events[0], "revision") == 2);
  CHECK(NumberField(events[1], "revision") == 3);
  CHECK_FALSE(Has(events[0], "data"));

  // Past the end: no output, success.
  result = RunCliFor(server, kOrsted, {"read", "--from", "6"});
  CHECK(result.exit_code == 0);
  CHECK(result.out.empty());

  // Binary payloads are printed as base64.
  v1::AppendRequest binary = SingleWrite(kOrsted, kNominations, 4, 1, 1);
  binary.mutable_writes(0)->mutable_events(0)->set_content_type(
      "application/octet-stream");
  binary.mutable_writes(0)->mutable_events(0)->set_data(
      std::string("\x00\xff\x10", 3));
  MustAppend(*client, binary);
  result = RunCliFor(server, kOrsted, {"read", "--from", "6"});
  REQUIRE(result.exit_code == 0);
  events = ParseNdjson(result.out);
  REQUIRE(events.size() == 1);
  CHECK(StringField(events[0], "data") == "AP8Q");
  CHECK(StringField(events[0], "dataEncoding") == "base64");
}

TEST_CASE(
    "cli get fetches by id and position and exits with 3 when any is missing") {
  EvstoredProcess server;
  auto client = server.Connect();
  MustAppend(*client, SingleWrite(kOrsted, kNominations, 5, 1, 3));

  CliResult result = RunCliFor(
      server, kOrsted, {"get", "--id", TestUuid(5, 3), "--position", "2,1"});
  INFO("stderr: " << result.err);
  REQUIRE(result.exit_code == 0);
  std::vector<Struct> events = ParseNdjson(result.out);
  REQUIRE(events.size() == 3);
  CHECK(NumberField(events[0], "position") == 3);
  CHECK(NumberField(events[1], "position") == 2);
  CHECK(NumberField(events[2], "position") == 1);
  CHECK(StringField(events[2], "id") == TestUuid(5, 1));

  result = RunCliFor(server, kOrsted,
                     {"get", "--id", TestUuid(5, 2), "--id", TestUuid(6, 1),
                      "--position", "9", "--no-data"});
  CHECK(result.exit_code == 3);
  events = ParseNdjson(result.out);
  REQUIRE(events.size() == 1);
  CHECK(StringField(events[0], "id") == TestUuid(5, 2));
  CHECK_FALSE(Has(events[0], "data"));
  CHECK_THAT(result.err, Contains("missing: id " + TestUuid(6, 1)));
  CHECK_THAT(result.err, Contains("missing: position 9"));

  // Another customer's events are missing too.
  result = RunCliFor(server, kGasum, {"get", "--position", "1"});
  CHECK(result.exit_code == 3);
  CHECK(result.out.empty());
  CHECK_THAT(result.err, Contains("missing: position 1"));
}

TEST_CASE(
    "cli tail with a count prints that many events of the feed and exits") {
  EvstoredProcess server;
  auto client = server.Connect();
  MustAppend(*client, SingleWrite(kOrsted, kNominations, 7, 1, 5));

  CliResult result = RunCliFor(server, kOrsted, {"tail", "--count", "3"});
  INFO("stderr: " << result.err);
  REQUIRE(result.exit_code == 0);
  std::vector<Struct> events = ParseNdjson(result.out);
  REQUIRE(events.size() == 3);
  for (size_t i = 0; i < 3; ++i)
    CHECK(NumberField(events[i], "position") == i + 1);

  // --from is inclusive, --after resumes after the position.
  result = RunCliFor(server, kOrsted, {"tail", "--from", "4", "--count", "2"});
  REQUIRE(result.exit_code == 0);
  events = ParseNdjson(result.out);
  REQUIRE(events.size() == 2);
  CHECK(NumberField(events[0], "position") == 4);
  CHECK(NumberField(events[1], "position") == 5);

  result = RunCliFor(server, kOrsted, {"tail", "--after", "4", "--count", "1"});
  REQUIRE(result.exit_code == 0);
  events = ParseNdjson(result.out);
  REQUIRE(events.size() == 1);
  CHECK(NumberField(events[0], "position") == 5);
  CHECK(StringField(events[0], "id") == TestUuid(7, 5));

  // --until-caught-up ends after the recorded events.
  result =
      RunCliFor(server, kOrsted, {"tail", "--until-caught-up", "--heartbeats"});
  REQUIRE(result.exit_code == 0);
  events = ParseNdjson(result.out);
  REQUIRE(events.size() == 6);
  CHECK(NumberField(events[4], "position") == 5);
  CHECK(NumberField(Field(events[5], "caughtUp").struct_value(), "position") ==
        5);
}

TEST_CASE("cli usage errors exit with code 2") {
  EvstoredProcess server;
  struct Case {
    const char* name;
    std::vector<std::string> args;
    const char* message_part;
  };
  const std::string address = server.address();
  const std::vector<Case> cases = {
      {"no command",
       {"--address", address, "--customer", kOrsted},
       "no command"},
      {"unknown command",
       {"--customer", kOrsted, "publish"},
       "unknown command 'publish'"},
      {"unknown flag",
       {"--customer", kOrsted, "read", "--limit", "3"},
       "--limit"},
      {"no customer", {"--address", address, "read"}, "no customer"},
      {"max-count 0",
       {"--customer", kOrsted, "read", "--max-count", "0"},
       "--max-count"},
      {"negative from",
       {"--customer", kOrsted, "read", "--from", "-1"},
       "--from"},
      {"append without type",
       {"--address", address, "--customer", kOrsted, "append", "--stream",
        kNominations, "{}"},
       "type"},
      {"append with invalid JSON",
       {"--address", address, "--customer", kOrsted, "append", "--stream",
        kNominations, "--type", kNominationResponse, "{\"gasDay\":"},
       "DATA argument 1"},
      {"get without ids or positions",
       {"--customer", kOrsted, "get"},
       "--id or --position"},
      {"tail with from and after",
       {"--customer", kOrsted, "tail", "--from", "1", "--after", "1"},
       "not both"},
  };
  for (const Case& c : cases) {
    INFO("case: " << c.name);
    const CliResult result = RunCli(c.args);
    INFO("stderr: " << result.err);
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.err, StartsWith("error: ") && Contains(c.message_part));
    CHECK(result.out.empty());
  }
  // Nothing reached the server.
  auto client = server.Connect();
  CHECK(FeedHead(*client, kOrsted) == 0);

  // A malformed stdin line: exit 2, naming the line.
  const CliResult bad_line = RunCliFor(
      server, kOrsted,
      {"append", "--stream", kNominations, "--type", kNominationResponse},
      NominationJson(1) + "\n{\"status\":\"16G\"\n");
  INFO("stderr: " << bad_line.err);
  CHECK(bad_line.exit_code == 2);
  CHECK_THAT(bad_line.err, Contains("stdin line 2"));
}

TEST_CASE("cli server errors exit with code 1 and name the status code") {
  EvstoredProcess server;
  auto client = server.Connect();
  MustAppend(*client, SingleWrite(kOrsted, kNominations, 8, 1, 2));

  CliResult result = RunCliFor(
      server, kOrsted,
      {"append", "--stream", kNominations, "--type", kNominationResponse,
       "--expected-revision", "5", NominationJson(3)});
  CHECK(result.exit_code == 6);  // Conflict.
  CHECK_THAT(result.err, StartsWith("error: FAILED_PRECONDITION: ") &&
                             Contains(kNominations) &&
                             Contains("expected revision 5") &&
                             Contains("actual revision is 2"));
  CHECK(result.out.empty());
  CHECK(FeedHead(*client, kOrsted) == 2);

  // A customer id the server refuses.
  result = RunCliFor(server, "Orsted DK", {"read"});
  CHECK(result.exit_code == 1);
  CHECK_THAT(result.err,
             StartsWith("error: INVALID_ARGUMENT: ") && Contains("customer"));

  // Without a token (no --token, --data_dir or EVSTORE_TOKEN) the server
  // refuses the call; --token alone is enough.
  result =
      RunCli({"--address", server.address(), "--customer", kOrsted, "read"});
  CHECK(result.exit_code == 4);  // Unauthenticated.
  CHECK_THAT(result.err, StartsWith("error: UNAUTHENTICATED: "));
  result = RunCli({"--address", server.address(), "--token",
                   server.AdminToken(), "--customer", kOrsted, "read"});
  INFO("stderr: " << result.err);
  CHECK(result.exit_code == 0);

  // An unreachable server.
  const std::string address = server.address();
  server.Stop();
  result = RunCli(
      {"--address", address, "--customer", kOrsted, "--timeout", "3s", "read"});
  CHECK(result.exit_code == 5);  // Unavailable.
  CHECK_THAT(result.err, StartsWith("error: UNAVAILABLE: ") ||
                             StartsWith("error: DEADLINE_EXCEEDED: "));
}

}  // namespace
}  // namespace evstore::testing
