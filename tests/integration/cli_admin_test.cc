// `evstore customer` and `evstore token` against a real evstored (explicit
// customers): setting up a customer with producer and consumer tokens,
// listing, revoking, deleting with and without --confirm, and every usage
// error.
#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/integration/cli_runner.h"
#include "tests/integration/evstored_process.h"

namespace evstore::testing {
namespace {

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

// `evstore --address <server> --data_dir <its data dir> args...`: the admin
// token comes from <data dir>/admin.token.
CliRun AsAdmin(const EvstoredProcess& server, std::vector<std::string> args) {
  args.insert(args.begin(),
              {"--address", server.address(), "--data_dir", server.data_dir()});
  return RunEvstoreCli(args);
}

// `evstore --address <server> --token <token> args...`.
CliRun WithToken(const EvstoredProcess& server, const std::string& token,
                 std::vector<std::string> args) {
  args.insert(args.begin(), {"--address", server.address(), "--token", token});
  return RunEvstoreCli(args);
}

std::string Describe(const CliRun& run) {
  return "exit " + std::to_string(run.exit_code) + "\nstdout: " + run.out +
         "\nstderr: " + run.err;
}

// The token ids `evstore token list` prints.
std::vector<std::string> ListedTokenIds(const EvstoredProcess& server,
                                        std::vector<std::string> args = {}) {
  args.insert(args.begin(), {"token", "list"});
  const CliRun run = AsAdmin(server, args);
  INFO(Describe(run));
  REQUIRE(run.exit_code == 0);
  std::vector<std::string> ids;
  for (const auto& token : JsonLines(run.out)) {
    ids.push_back(JsonField(token, "tokenId").string_value());
  }
  return ids;
}

bool HasValue(const std::vector<std::string>& values,
              const std::string& value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

TEST_CASE("evstore sets up a customer with producer and consumer tokens") {
  EvstoredProcess server(EvstoredProcessOptions::ExplicitCustomers());

  CliRun run = AsAdmin(server, {"customer", "create", "orsted-dk"});
  INFO(Describe(run));
  REQUIRE(run.exit_code == 0);
  std::vector<google::protobuf::Struct> lines = JsonLines(run.out);
  REQUIRE(lines.size() == 1);
  CHECK(JsonField(lines[0], "customer").string_value() == "orsted-dk");
  CHECK(JsonField(lines[0], "headPosition").number_value() == 0);
  CHECK_THAT(JsonField(lines[0], "createdAt").string_value(), StartsWith("20"));
  REQUIRE(AsAdmin(server, {"customer", "create", "gasum"}).exit_code == 0);

  run = AsAdmin(server, {"customer", "create", "orsted-dk"});
  CHECK(run.exit_code == 6);  // Conflict: it exists.
  CHECK_THAT(run.err, Contains("ALREADY_EXISTS"));

  // A producer token: the token alone on stdout, details on stderr.
  run = AsAdmin(server, {"token", "create", "--role", "producer",
                         "--description", "platform"});
  INFO(Describe(run));
  REQUIRE(run.exit_code == 0);
  REQUIRE(NonEmptyLines(run.out).size() == 1);
  const std::string producer = NonEmptyLines(run.out)[0];
  CHECK(run.out == producer + "\n");
  CHECK_THAT(producer, StartsWith("evs_"));
  CHECK(producer.size() == 47);
  CHECK_THAT(run.err, Contains("producer token"));
  CHECK_THAT(run.err, !Contains(producer));

  // A consumer token, as JSON.
  run = AsAdmin(server, {"token", "create", "--role", "consumer", "--customer",
                         "orsted-dk", "--json"});
  INFO(Describe(run));
  REQUIRE(run.exit_code == 0);
  lines = JsonLines(run.out);
  REQUIRE(lines.size() == 1);
  const std::string consumer = JsonField(lines[0], "token").string_value();
  const std::string consumer_id = JsonField(lines[0], "tokenId").string_value();
  CHECK_THAT(consumer, StartsWith("evs_"));
  CHECK(consumer != producer);
  CHECK(JsonField(lines[0], "role").string_value() == "consumer");
  const auto& customers = JsonField(lines[0], "customers").list_value();
  REQUIRE(customers.values_size() == 1);
  CHECK(customers.values(0).string_value() == "orsted-dk");

  // The producer appends, the consumer reads (whether or not the event
  // store calls check tokens yet).
  run = WithToken(server, producer,
                  {"--customer", "orsted-dk", "append", "--stream",
                   "contract/DS000068/nominations", "--type",
                   "NominationResponseReceived", R"({"status":"16G"})"});
  INFO(Describe(run));
  CHECK(run.exit_code == 0);
  run = WithToken(server, consumer, {"--customer", "orsted-dk", "read"});
  INFO(Describe(run));
  CHECK(run.exit_code == 0);
  CHECK(JsonLines(run.out).size() == 1);

  run = AsAdmin(server, {"customer", "get", "orsted-dk"});
  REQUIRE(run.exit_code == 0);
  CHECK(JsonField(JsonLines(run.out).at(0), "headPosition").number_value() ==
        1);
  run = AsAdmin(server, {"customer", "list"});
  REQUIRE(run.exit_code == 0);
  lines = JsonLines(run.out);
  REQUIRE(lines.size() == 2);
  CHECK(JsonField(lines[0], "customer").string_value() == "gasum");
  CHECK(JsonField(lines[1], "customer").string_value() == "orsted-dk");

  // Listing: the bootstrap admin token, the producer and the consumer.
  const std::vector<std::string> ids = ListedTokenIds(server);
  CHECK(ids.size() == 3);
  CHECK(HasValue(ids, consumer_id));
  CHECK(ListedTokenIds(server, {"--customer", "orsted-dk"}) ==
        std::vector<std::string>{consumer_id});
  run = AsAdmin(server, {"token", "list"});
  CHECK_THAT(run.out, !Contains(producer));
  CHECK_THAT(run.out, !Contains(consumer));

  // Revoking.
  run = AsAdmin(server, {"token", "revoke", consumer_id});
  INFO(Describe(run));
  REQUIRE(run.exit_code == 0);
  CHECK_THAT(run.err, Contains(consumer_id));
  CHECK_FALSE(HasValue(ListedTokenIds(server), consumer_id));
  run = AsAdmin(server, {"token", "revoke", consumer_id});
  CHECK(run.exit_code == 3);  // Not found.
  CHECK_THAT(run.err, Contains("NOT_FOUND"));

  // Deleting needs --confirm with the same id.
  run = AsAdmin(server, {"customer", "delete", "orsted-dk"});
  CHECK(run.exit_code == 2);
  CHECK_THAT(run.err, Contains("--confirm orsted-dk"));
  run = AsAdmin(server,
                {"customer", "delete", "orsted-dk", "--confirm", "gasum"});
  CHECK(run.exit_code == 2);
  CHECK_THAT(run.err, Contains("nothing was deleted"));
  CHECK(AsAdmin(server, {"customer", "get", "orsted-dk"}).exit_code == 0);
  run = AsAdmin(server,
                {"customer", "delete", "orsted-dk", "--confirm", "orsted-dk"});
  INFO(Describe(run));
  REQUIRE(run.exit_code == 0);
  lines = JsonLines(run.out);
  REQUIRE(lines.size() == 1);
  CHECK(JsonField(lines[0], "customer").string_value() == "orsted-dk");
  CHECK(JsonField(lines[0], "revokedTokens").number_value() == 0);
  run = AsAdmin(server, {"customer", "get", "orsted-dk"});
  CHECK(run.exit_code == 3);
  CHECK_THAT(run.err, Contains("NOT_FOUND"));
  CHECK(AsAdmin(server, {"customer", "get", "gasum"}).exit_code == 0);
}

TEST_CASE("a token made by evstore token create is scriptable") {
  EvstoredProcess server(EvstoredProcessOptions::ExplicitCustomers());
  // TOKEN=$(evstore token create --role admin) captures exactly the token.
  const CliRun created =
      AsAdmin(server, {"token", "create", "--role", "admin"});
  INFO(Describe(created));
  REQUIRE(created.exit_code == 0);
  std::string token = created.out;
  REQUIRE(token.back() == '\n');
  token.pop_back();
  const CliRun run = RunEvstoreCli(
      {"--address", server.address(), "customer", "create", "ewii"},
      {"EVSTORE_TOKEN=" + token});
  INFO(Describe(run));
  CHECK(run.exit_code == 0);
  CHECK(AsAdmin(server, {"customer", "get", "ewii"}).exit_code == 0);
}

TEST_CASE("evstore customer and token reject bad input with clear errors") {
  EvstoredProcess server(EvstoredProcessOptions::ExplicitCustomers());
  REQUIRE(AsAdmin(server, {"customer", "create", "orsted-dk"}).exit_code == 0);
  struct Case {
    std::vector<std::string> args;
    const char* message;
  };
  const std::vector<Case> usage_errors = {
      {{"customer"}, "give an action"},
      {{"customer", "frobnicate", "x"}, "unknown action 'frobnicate'"},
      {{"customer", "create"}, "give the customer id"},
      {{"customer", "create", "a", "b"}, "unexpected argument 'b'"},
      {{"customer", "list", "x"}, "unexpected argument 'x'"},
      {{"customer", "get", "x", "--confirm", "x"}, "only for delete"},
      {{"customer", "delete", "orsted-dk"}, "--confirm"},
      {{"token"}, "give an action"},
      {{"token", "bogus"}, "unknown action 'bogus'"},
      {{"token", "create"}, "--role"},
      {{"token", "create", "--role", "boss"}, "'boss'"},
      {{"token", "create", "--role", "consumer"}, "exactly one --customer"},
      {{"token", "create", "--role", "consumer", "--customer", "a,b"},
       "exactly one --customer"},
      {{"token", "create", "--role", "admin", "--customer", "orsted-dk"},
       "drop --customer"},
      {{"token", "create", "--role", "producer", "extra"},
       "unexpected argument 'extra'"},
      {{"token", "list", "--role", "admin"}, "only for token create"},
      {{"token", "list", "--customer", "a", "--customer", "b"},
       "at most one --customer"},
      {{"token", "revoke"}, "give the token id"},
      {{"token", "revoke", "0123456789ab", "--customer", "a"},
       "not for token revoke"},
  };
  for (const Case& c : usage_errors) {
    const CliRun run = AsAdmin(server, c.args);
    INFO(Describe(run));
    CHECK(run.exit_code == 2);
    CHECK_THAT(run.err, Contains(c.message));
    CHECK(run.out.empty());
  }
  // Errors of the server: the exit code of their class (1 for
  // INVALID_ARGUMENT, 3 for NOT_FOUND) with the code and message.
  const std::vector<Case> rpc_errors = {
      {{"customer", "create", "Bad Name"}, "INVALID_ARGUMENT"},
      {{"token", "create", "--role", "producer", "--customer", "nobody"},
       "NOT_FOUND"},
      {{"token", "revoke", "not-an-id"}, "INVALID_ARGUMENT"},
      {{"customer", "delete", "nobody", "--confirm", "nobody"}, "NOT_FOUND"},
  };
  for (const Case& c : rpc_errors) {
    const CliRun run = AsAdmin(server, c.args);
    INFO(Describe(run));
    CHECK(run.exit_code == (c.message == std::string("NOT_FOUND") ? 3 : 1));
    CHECK_THAT(run.err, Contains(c.message));
  }
  // No token at all.
  const CliRun anonymous =
      RunEvstoreCli({"--address", server.address(), "customer", "list"});
  CHECK(anonymous.exit_code == 4);
  CHECK_THAT(anonymous.err, Contains("UNAUTHENTICATED"));
  // Nothing above created a token.
  CHECK(ListedTokenIds(server).size() == 1);
}

TEST_CASE("evstore customer and token explain themselves") {
  CliRun run = RunEvstoreCli({"--help"});
  CHECK(run.exit_code == 0);
  CHECK_THAT(run.out, Contains("customer"));
  CHECK_THAT(run.out, Contains("token"));
  run = RunEvstoreCli({"customer", "--help"});
  CHECK(run.exit_code == 0);
  CHECK_THAT(run.out, Contains("--confirm"));
  CHECK_THAT(run.out, Contains("delete"));
  run = RunEvstoreCli({"token", "--help"});
  CHECK(run.exit_code == 0);
  CHECK_THAT(run.out, Contains("--role"));
  CHECK_THAT(run.out, Contains("TOKEN=$(evstore token create"));
}

}  // namespace
}  // namespace evstore::testing
