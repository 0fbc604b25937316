// TokenStore: persistence, validation, revocation and customer deletes.
#include "storage/token_store.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "storage/access_token.h"
#include "storage/event_log.h"
#include "storage/key_format.h"
#include "tests/unit/test_support.h"

using namespace evstore;
using evstore::testing::RawDatabase;
using evstore::testing::TempDir;
using evstore::testing::TestOptions;

namespace {

// A data directory holding an empty event log, opened raw for the store.
struct StoreFixture {
  StoreFixture() {
    REQUIRE(EventLog::Open(TestOptions(dir.path())).ok());
    Reopen();
  }
  void Reopen() {
    store.reset();
    raw.reset();
    raw = std::make_unique<RawDatabase>(TestOptions(dir.path()).data_dir,
                                        /*read_only=*/false);
    store = std::make_unique<TokenStore>(&raw->db(),
                                         raw->family(keys::kMetaFamily));
    REQUIRE(store->Load().ok());
  }
  TempDir dir;
  std::unique_ptr<RawDatabase> raw;
  std::unique_ptr<TokenStore> store;
};

TokenRecord Token(TokenRole role, std::vector<std::string> customers) {
  TokenRecord record;
  record.hash = HashAccessToken(*GenerateAccessToken());
  record.role = role;
  record.customers = std::move(customers);
  record.description = "test";
  record.created_at_micros = 1'700'000'000'000'000;
  return record;
}

}  // namespace

TEST_CASE("tokens survive a reopen with every field") {
  StoreFixture fixture;
  const TokenRecord producer = Token(TokenRole::kProducer, {"a", "b"});
  REQUIRE(fixture.store->Create(producer).ok());
  REQUIRE_FALSE(fixture.store->HasAdmin());
  REQUIRE(fixture.store->Create(Token(TokenRole::kAdmin, {})).ok());
  REQUIRE(fixture.store->HasAdmin());
  fixture.Reopen();
  std::optional<TokenRecord> found = fixture.store->Lookup(producer.hash);
  REQUIRE(found.has_value());
  REQUIRE(found->role == TokenRole::kProducer);
  REQUIRE(found->customers == std::vector<std::string>{"a", "b"});
  REQUIRE(found->description == "test");
  REQUIRE(found->created_at_micros == producer.created_at_micros);
  REQUIRE(fixture.store->HasAdmin());
  REQUIRE(fixture.store->List().size() == 2);
  REQUIRE_FALSE(fixture.store->Lookup(HashAccessToken("evs_unknown")));
}

TEST_CASE("token records that break their role's rules are refused") {
  StoreFixture fixture;
  REQUIRE(absl::IsInvalidArgument(
      fixture.store->Create(Token(TokenRole::kAdmin, {"a"}))));
  REQUIRE(absl::IsInvalidArgument(
      fixture.store->Create(Token(TokenRole::kConsumer, {}))));
  REQUIRE(absl::IsInvalidArgument(
      fixture.store->Create(Token(TokenRole::kConsumer, {"a", "b"}))));
  REQUIRE(absl::IsInvalidArgument(
      fixture.store->Create(Token(TokenRole::kProducer, {"b", "a"}))));
  REQUIRE(absl::IsInvalidArgument(
      fixture.store->Create(Token(TokenRole::kProducer, {"Not A Name"}))));
  TokenRecord short_hash = Token(TokenRole::kAdmin, {});
  short_hash.hash.resize(8);
  REQUIRE(absl::IsInvalidArgument(fixture.store->Create(short_hash)));
  const TokenRecord twice = Token(TokenRole::kAdmin, {});
  REQUIRE(fixture.store->Create(twice).ok());
  REQUIRE(absl::IsAlreadyExists(fixture.store->Create(twice)));
  REQUIRE(fixture.store->List().size() == 1);
}

TEST_CASE("a revoked token stops authenticating at once and for good") {
  StoreFixture fixture;
  const TokenRecord consumer = Token(TokenRole::kConsumer, {"a"});
  const TokenRecord other = Token(TokenRole::kConsumer, {"a"});
  REQUIRE(fixture.store->Create(consumer).ok());
  REQUIRE(fixture.store->Create(other).ok());
  REQUIRE(fixture.store->Revoke(AccessTokenId(consumer.hash)).ok());
  REQUIRE_FALSE(fixture.store->Lookup(consumer.hash));
  REQUIRE(fixture.store->Lookup(other.hash));
  REQUIRE(
      absl::IsNotFound(fixture.store->Revoke(AccessTokenId(consumer.hash))));
  fixture.Reopen();
  REQUIRE_FALSE(fixture.store->Lookup(consumer.hash));
  REQUIRE(fixture.store->Lookup(other.hash));
}

TEST_CASE("forgetting a customer revokes the tokens limited to it alone") {
  StoreFixture fixture;
  const TokenRecord consumer_b = Token(TokenRole::kConsumer, {"b"});
  const TokenRecord consumer_a = Token(TokenRole::kConsumer, {"a"});
  const TokenRecord producer_b = Token(TokenRole::kProducer, {"b"});
  const TokenRecord producer_ab = Token(TokenRole::kProducer, {"a", "b"});
  const TokenRecord producer_all = Token(TokenRole::kProducer, {});
  for (const TokenRecord& record :
       {consumer_b, consumer_a, producer_b, producer_ab, producer_all}) {
    REQUIRE(fixture.store->Create(record).ok());
  }
  absl::StatusOr<size_t> revoked = fixture.store->ForgetCustomer("b");
  REQUIRE(revoked.ok());
  REQUIRE(*revoked == 2);
  fixture.Reopen();
  REQUIRE_FALSE(fixture.store->Lookup(consumer_b.hash));
  // Never widened to "all customers" by losing its only customer.
  REQUIRE_FALSE(fixture.store->Lookup(producer_b.hash));
  REQUIRE(fixture.store->Lookup(consumer_a.hash)->customers ==
          std::vector<std::string>{"a"});
  REQUIRE(fixture.store->Lookup(producer_ab.hash)->customers ==
          std::vector<std::string>{"a"});
  REQUIRE(fixture.store->Lookup(producer_all.hash)->customers.empty());
}
