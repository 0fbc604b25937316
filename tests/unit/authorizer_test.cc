// Authorizer: authentication of bearer tokens and the role policy table.
#include "server/authorizer.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "storage/access_token.h"
#include "storage/event_log.h"
#include "tests/unit/test_support.h"

using namespace evstore;
using evstore::server::Authorizer;
using evstore::server::Operation;
using evstore::testing::TempDir;
using evstore::testing::TestOptions;

namespace {

TokenRecord Caller(TokenRole role, std::vector<std::string> customers) {
  TokenRecord record;
  record.role = role;
  record.customers = std::move(customers);
  return record;
}

constexpr absl::StatusCode kOk = absl::StatusCode::kOk;
constexpr absl::StatusCode kDenied = absl::StatusCode::kPermissionDenied;

}  // namespace

TEST_CASE("the role policy allows exactly the documented calls") {
  const TokenRecord admin = Caller(TokenRole::kAdmin, {});
  const TokenRecord producer = Caller(TokenRole::kProducer, {});
  const TokenRecord producer_a = Caller(TokenRole::kProducer, {"a"});
  const TokenRecord consumer_a = Caller(TokenRole::kConsumer, {"a"});
  // Never stored (ValidateTokenRecord refuses it), but an empty list must
  // not read as "every customer" for a consumer.
  const TokenRecord consumer_none = Caller(TokenRole::kConsumer, {});
  struct Row {
    const TokenRecord* caller;
    const char* caller_name;
    Operation operation;
    const char* customer;
    absl::StatusCode expected;
  };
  const Row rows[] = {
      {&admin, "admin", Operation::kAppend, "b", kOk},
      {&admin, "admin", Operation::kRead, "b", kOk},
      {&admin, "admin", Operation::kGetEvents, "b", kOk},
      {&admin, "admin", Operation::kSubscribe, "b", kOk},
      {&admin, "admin", Operation::kAdmin, "", kOk},
      {&producer, "producer", Operation::kAppend, "b", kOk},
      {&producer, "producer", Operation::kRead, "b", kOk},
      {&producer, "producer", Operation::kGetEvents, "b", kOk},
      {&producer, "producer", Operation::kSubscribe, "b", kDenied},
      {&producer, "producer", Operation::kAdmin, "", kDenied},
      {&producer_a, "producer of a", Operation::kAppend, "a", kOk},
      {&producer_a, "producer of a", Operation::kAppend, "b", kDenied},
      {&producer_a, "producer of a", Operation::kRead, "a", kOk},
      {&producer_a, "producer of a", Operation::kRead, "b", kDenied},
      {&producer_a, "producer of a", Operation::kGetEvents, "b", kDenied},
      {&producer_a, "producer of a", Operation::kSubscribe, "a", kDenied},
      {&consumer_a, "consumer of a", Operation::kAppend, "a", kDenied},
      {&consumer_a, "consumer of a", Operation::kRead, "a", kOk},
      {&consumer_a, "consumer of a", Operation::kRead, "b", kDenied},
      {&consumer_a, "consumer of a", Operation::kGetEvents, "a", kOk},
      {&consumer_a, "consumer of a", Operation::kGetEvents, "b", kDenied},
      {&consumer_a, "consumer of a", Operation::kSubscribe, "a", kOk},
      {&consumer_a, "consumer of a", Operation::kSubscribe, "b", kDenied},
      {&consumer_a, "consumer of a", Operation::kAdmin, "", kDenied},
      {&consumer_none, "consumer of none", Operation::kRead, "b", kDenied},
      {&consumer_none, "consumer of none", Operation::kGetEvents, "b", kDenied},
      {&consumer_none, "consumer of none", Operation::kSubscribe, "b", kDenied},
      // Checkpoints: the customer's consumer and admins.
      {&admin, "admin", Operation::kReadCheckpoints, "b", kOk},
      {&admin, "admin", Operation::kWriteCheckpoints, "b", kOk},
      {&producer, "producer", Operation::kReadCheckpoints, "b", kDenied},
      {&producer, "producer", Operation::kWriteCheckpoints, "b", kDenied},
      {&producer_a, "producer of a", Operation::kWriteCheckpoints, "a",
       kDenied},
      {&consumer_a, "consumer of a", Operation::kReadCheckpoints, "a", kOk},
      {&consumer_a, "consumer of a", Operation::kWriteCheckpoints, "a", kOk},
      {&consumer_a, "consumer of a", Operation::kReadCheckpoints, "b", kDenied},
      {&consumer_a, "consumer of a", Operation::kWriteCheckpoints, "b",
       kDenied},
      {&consumer_none, "consumer of none", Operation::kWriteCheckpoints, "b",
       kDenied},
      {&admin, "admin", Operation::kDeleteStream, "b", kOk},
      {&producer, "producer", Operation::kDeleteStream, "b", kOk},
      {&producer_a, "producer of a", Operation::kDeleteStream, "a", kOk},
      {&producer_a, "producer of a", Operation::kDeleteStream, "b", kDenied},
      {&consumer_a, "consumer of a", Operation::kDeleteStream, "a", kDenied},
  };
  for (const Row& row : rows) {
    INFO(row.caller_name << " operation " << static_cast<int>(row.operation)
                         << " on \"" << row.customer << "\"");
    CHECK(Authorizer::Authorize(*row.caller, row.operation, row.customer)
              .code() == row.expected);
  }
}

TEST_CASE("authentication accepts only a live bearer token") {
  TempDir dir;
  auto log = EventLog::Open(TestOptions(dir.path()));
  REQUIRE(log.ok());
  const std::string token = *GenerateAccessToken();
  TokenRecord record = Caller(TokenRole::kConsumer, {"a"});
  record.hash = HashAccessToken(token);
  REQUIRE((*log)->tokens().Create(record).ok());
  Authorizer authorizer(&(*log)->tokens());

  const std::string bearer = "Bearer " + token;
  const std::string_view good = bearer;
  absl::StatusOr<TokenRecord> caller = authorizer.Authenticate(&good);
  REQUIRE(caller.ok());
  REQUIRE(caller->customers == std::vector<std::string>{"a"});

  const std::string other = "Bearer " + *GenerateAccessToken();
  const std::string lower = "bearer " + token;
  const std::string bare = token;
  const std::string garbage = "Bearer not-a-token";
  for (const std::string* text : {&other, &lower, &bare, &garbage}) {
    const std::string_view value = *text;
    absl::StatusOr<TokenRecord> refused = authorizer.Authenticate(&value);
    REQUIRE(absl::IsUnauthenticated(refused.status()));
    // The message never repeats the token.
    REQUIRE(std::string(refused.status().message()).find(token.substr(4)) ==
            std::string::npos);
  }
  REQUIRE(absl::IsUnauthenticated(authorizer.Authenticate(nullptr).status()));

  REQUIRE(authorizer.Reauthenticate(record.hash).ok());
  REQUIRE((*log)->tokens().Revoke(AccessTokenId(record.hash)).ok());
  REQUIRE(absl::IsUnauthenticated(authorizer.Authenticate(&good).status()));
  REQUIRE(
      absl::IsUnauthenticated(authorizer.Reauthenticate(record.hash).status()));
}

TEST_CASE("a denial does not depend on what exists") {
  const TokenRecord consumer_b = Caller(TokenRole::kConsumer, {"b"});
  // The authorizer never sees storage: equal inputs, equal answers. This
  // pins the message shape the server returns for any foreign customer.
  absl::Status denied =
      Authorizer::Authorize(consumer_b, Operation::kRead, "orsted-dk");
  REQUIRE(absl::IsPermissionDenied(denied));
  REQUIRE(std::string(denied.message()) ==
          "this consumer token may not read customer \"orsted-dk\"");
}
