// AdminService against a real evstored (customers are explicit: no
// --auto_create_customers): customers and tokens through AdminClient, every
// INVALID_ARGUMENT / NOT_FOUND / ALREADY_EXISTS case, paging, deletes, and
// that only admin tokens get in.
#include <algorithm>
#include <catch2/catch.hpp>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/admin_client.h"
#include "tests/integration/evstored_process.h"
#include "tests/integration/test_events.h"

namespace evstore::testing {
namespace {

using Catch::Matchers::Contains;

std::unique_ptr<client::AdminClient> ConnectAdmin(const EvstoredProcess& server,
                                                  const std::string& token) {
  absl::StatusOr<std::unique_ptr<client::AdminClient>> admin =
      client::AdminClient::Connect(
          {.address = server.address(), .token = token});
  REQUIRE(admin.ok());
  return *std::move(admin);
}

std::unique_ptr<client::AdminClient> ConnectAdmin(
    const EvstoredProcess& server) {
  return ConnectAdmin(server, server.AdminToken());
}

absl::StatusOr<v1::CreateCustomerResponse> CreateCustomer(
    const client::AdminClient& admin, const std::string& customer) {
  v1::CreateCustomerRequest request;
  request.set_customer(customer);
  return admin.CreateCustomer(request);
}

void MustCreateCustomer(const client::AdminClient& admin,
                        const std::string& customer) {
  absl::StatusOr<v1::CreateCustomerResponse> created =
      CreateCustomer(admin, customer);
  INFO("create " << customer << ": " << created.status());
  REQUIRE(created.ok());
}

absl::StatusOr<v1::GetCustomerResponse> GetCustomer(
    const client::AdminClient& admin, const std::string& customer) {
  v1::GetCustomerRequest request;
  request.set_customer(customer);
  return admin.GetCustomer(request);
}

absl::StatusOr<v1::DeleteCustomerResponse> DeleteCustomer(
    const client::AdminClient& admin, const std::string& customer,
    const std::string& confirm) {
  v1::DeleteCustomerRequest request;
  request.set_customer(customer);
  request.set_confirm_customer(confirm);
  return admin.DeleteCustomer(request);
}

v1::CreateTokenRequest TokenRequest(v1::Role role,
                                    std::vector<std::string> customers,
                                    const std::string& description = "") {
  v1::CreateTokenRequest request;
  request.set_role(role);
  for (std::string& customer : customers) {
    request.add_customers(std::move(customer));
  }
  request.set_description(description);
  return request;
}

v1::CreateTokenResponse MustCreateToken(const client::AdminClient& admin,
                                        const v1::CreateTokenRequest& request) {
  absl::StatusOr<v1::CreateTokenResponse> created = admin.CreateToken(request);
  INFO("create token: " << created.status());
  REQUIRE(created.ok());
  return *std::move(created);
}

// Every token the server lists, over all pages of `page_size`.
std::vector<v1::TokenInfo> AllTokens(const client::AdminClient& admin,
                                     const std::string& customer = "",
                                     uint32_t page_size = 0) {
  std::vector<v1::TokenInfo> tokens;
  v1::ListTokensRequest request;
  request.set_customer(customer);
  request.set_page_size(page_size);
  do {
    absl::StatusOr<v1::ListTokensResponse> page = admin.ListTokens(request);
    INFO("list tokens: " << page.status());
    REQUIRE(page.ok());
    tokens.insert(tokens.end(), page->tokens().begin(), page->tokens().end());
    request.set_page_token(page->next_page_token());
  } while (!request.page_token().empty());
  return tokens;
}

std::vector<std::string> TokenIds(const std::vector<v1::TokenInfo>& tokens) {
  std::vector<std::string> ids;
  ids.reserve(tokens.size());
  for (const v1::TokenInfo& token : tokens) ids.push_back(token.token_id());
  return ids;
}

bool Lists(const std::vector<v1::TokenInfo>& tokens, const std::string& id) {
  for (const v1::TokenInfo& token : tokens) {
    if (token.token_id() == id) return true;
  }
  return false;
}

absl::StatusOr<v1::RevokeTokenResponse> RevokeToken(
    const client::AdminClient& admin, const std::string& token_id) {
  v1::RevokeTokenRequest request;
  request.set_token_id(token_id);
  return admin.RevokeToken(request);
}

std::unique_ptr<client::Client> ConnectWith(const EvstoredProcess& server,
                                            const std::string& token) {
  absl::StatusOr<std::unique_ptr<client::Client>> client =
      client::Client::Connect({.address = server.address(), .token = token});
  REQUIRE(client.ok());
  return *std::move(client);
}

TEST_CASE("customers are created and described") {
  EvstoredProcess server(EvstoredProcessOptions::ExplicitCustomers());
  auto admin = ConnectAdmin(server);
  const int64_t before = absl::ToUnixSeconds(absl::Now());
  absl::StatusOr<v1::CreateCustomerResponse> created =
      CreateCustomer(*admin, kOrsted);
  REQUIRE(created.ok());
  CHECK(created->customer().customer() == kOrsted);
  CHECK(created->customer().head_position() == 0);
  REQUIRE(created->customer().has_created_at());
  CHECK(created->customer().created_at().seconds() >= before);
  CHECK(created->customer().created_at().seconds() <=
        absl::ToUnixSeconds(absl::Now()));

  // Appends are accepted now, and the head shows in GetCustomer.
  auto client = server.Connect();
  MustAppend(*client, SingleWrite(kOrsted, kNominations, 1, 1, 3));
  absl::StatusOr<v1::GetCustomerResponse> got = GetCustomer(*admin, kOrsted);
  REQUIRE(got.ok());
  CHECK(got->customer().customer() == kOrsted);
  CHECK(got->customer().head_position() == 3);
  CHECK(got->customer().created_at().seconds() ==
        created->customer().created_at().seconds());
  CHECK(got->customer().created_at().nanos() ==
        created->customer().created_at().nanos());

  // Survives a restart.
  server.Restart();
  admin = ConnectAdmin(server);
  got = GetCustomer(*admin, kOrsted);
  REQUIRE(got.ok());
  CHECK(got->customer().head_position() == 3);
  CHECK(got->customer().created_at().nanos() ==
        created->customer().created_at().nanos());
}

TEST_CASE("CreateCustomer and GetCustomer reject bad requests") {
  EvstoredProcess server(EvstoredProcessOptions::ExplicitCustomers());
  auto admin = ConnectAdmin(server);
  MustCreateCustomer(*admin, kOrsted);

  absl::Status again = CreateCustomer(*admin, kOrsted).status();
  CHECK(absl::IsAlreadyExists(again));
  CHECK_THAT(MessageOf(again), Contains(kOrsted));
  absl::Status bad = CreateCustomer(*admin, "Orsted DK").status();
  CHECK(absl::IsInvalidArgument(bad));
  CHECK_THAT(MessageOf(bad), Contains("customer"));
  CHECK(absl::IsInvalidArgument(CreateCustomer(*admin, "").status()));
  CHECK(absl::IsInvalidArgument(
      CreateCustomer(*admin, std::string(65, 'a')).status()));

  absl::Status missing = GetCustomer(*admin, kGasum).status();
  CHECK(absl::IsNotFound(missing));
  CHECK_THAT(MessageOf(missing), Contains(kGasum));
  CHECK(absl::IsInvalidArgument(GetCustomer(*admin, "a/b").status()));
  CHECK(absl::IsInvalidArgument(GetCustomer(*admin, "").status()));
}

TEST_CASE("customers are listed in id order one page at a time") {
  EvstoredProcess server(EvstoredProcessOptions::ExplicitCustomers());
  auto admin = ConnectAdmin(server);
  const std::vector<std::string> names = {"c5", "c1", "c4", "c0",
                                          "c6", "c3", "c2"};
  for (const std::string& name : names) MustCreateCustomer(*admin, name);

  std::vector<std::string> listed;
  v1::ListCustomersRequest request;
  request.set_page_size(3);
  int pages = 0;
  do {
    absl::StatusOr<v1::ListCustomersResponse> page =
        admin->ListCustomers(request);
    REQUIRE(page.ok());
    ++pages;
    CHECK(page->customers_size() == (pages < 3 ? 3 : 1));
    for (const v1::Customer& customer : page->customers()) {
      listed.push_back(customer.customer());
      CHECK(customer.has_created_at());
    }
    request.set_page_token(page->next_page_token());
  } while (!request.page_token().empty());
  CHECK(pages == 3);
  CHECK(listed ==
        std::vector<std::string>{"c0", "c1", "c2", "c3", "c4", "c5", "c6"});

  // page_size 0 means 100: everything on one page.
  absl::StatusOr<v1::ListCustomersResponse> all =
      admin->ListCustomers(v1::ListCustomersRequest());
  REQUIRE(all.ok());
  CHECK(all->customers_size() == 7);
  CHECK(all->next_page_token().empty());

  // An exact page has no next page.
  request.Clear();
  request.set_page_size(7);
  absl::StatusOr<v1::ListCustomersResponse> exact =
      admin->ListCustomers(request);
  REQUIRE(exact.ok());
  CHECK(exact->customers_size() == 7);
  CHECK(exact->next_page_token().empty());

  request.Clear();
  request.set_page_size(1001);
  absl::Status too_big = admin->ListCustomers(request).status();
  CHECK(absl::IsInvalidArgument(too_big));
  CHECK_THAT(MessageOf(too_big), Contains("page_size"));
  request.set_page_size(1000);
  CHECK(admin->ListCustomers(request).ok());

  for (const std::string& token : {std::string("not base64!"),
                                   std::string("YWJj"),  // "abc"
                                   std::string("%%%")}) {
    request.Clear();
    request.set_page_token(token);
    absl::Status bad = admin->ListCustomers(request).status();
    CHECK(absl::IsInvalidArgument(bad));
    CHECK_THAT(MessageOf(bad), Contains("page_token"));
  }
  // A page token of ListTokens does not continue ListCustomers.
  MustCreateToken(*admin, TokenRequest(v1::ROLE_PRODUCER, {}));
  v1::ListTokensRequest tokens_request;
  tokens_request.set_page_size(1);
  absl::StatusOr<v1::ListTokensResponse> tokens_page =
      admin->ListTokens(tokens_request);
  REQUIRE(tokens_page.ok());
  REQUIRE_FALSE(tokens_page->next_page_token().empty());
  request.Clear();
  request.set_page_token(tokens_page->next_page_token());
  CHECK(absl::IsInvalidArgument(admin->ListCustomers(request).status()));
}

TEST_CASE("a delete without the right confirmation deletes nothing") {
  EvstoredProcess server(EvstoredProcessOptions::ExplicitCustomers());
  auto admin = ConnectAdmin(server);
  auto client = server.Connect();
  MustCreateCustomer(*admin, kOrsted);
  MustCreateCustomer(*admin, kGasum);
  MustAppend(*client, SingleWrite(kOrsted, kNominations, 1, 1, 3));
  const v1::CreateTokenResponse consumer = MustCreateToken(
      *admin, TokenRequest(v1::ROLE_CONSUMER, {kOrsted}, "orsted feed"));

  for (const std::string& confirm :
       {std::string(), std::string(kGasum), std::string("orsted-dk ")}) {
    absl::Status refused = DeleteCustomer(*admin, kOrsted, confirm).status();
    CHECK(absl::IsInvalidArgument(refused));
    CHECK_THAT(MessageOf(refused), Contains("confirm_customer"));
  }
  CHECK(absl::IsInvalidArgument(
      DeleteCustomer(*admin, "Bad Name", "Bad Name").status()));
  absl::Status unknown = DeleteCustomer(*admin, "nobody", "nobody").status();
  CHECK(absl::IsNotFound(unknown));
  CHECK_THAT(MessageOf(unknown), Contains("nobody"));

  absl::StatusOr<v1::GetCustomerResponse> got = GetCustomer(*admin, kOrsted);
  REQUIRE(got.ok());
  CHECK(got->customer().head_position() == 3);
  CHECK(ReadFeed(*client, kOrsted).size() == 3);
  CHECK(Lists(AllTokens(*admin), consumer.info().token_id()));
  CHECK(GetCustomer(*admin, kGasum).ok());
}

TEST_CASE("deleting a customer removes its data and tokens and nothing else") {
  EvstoredProcess server(EvstoredProcessOptions::ExplicitCustomers());
  auto admin = ConnectAdmin(server);
  auto client = server.Connect();
  MustCreateCustomer(*admin, kOrsted);
  MustCreateCustomer(*admin, kGasum);
  MustAppend(*client, SingleWrite(kOrsted, kNominations, 1, 1, 3));
  MustAppend(*client, SingleWrite(kGasum, kNominations, 2, 1, 4));
  const v1::CreateTokenResponse consumer =
      MustCreateToken(*admin, TokenRequest(v1::ROLE_CONSUMER, {kOrsted}));
  const v1::CreateTokenResponse producer = MustCreateToken(
      *admin, TokenRequest(v1::ROLE_PRODUCER, {kOrsted, kGasum}));
  const std::vector<v1::RecordedEvent> gasum_before = ReadFeed(*client, kGasum);

  absl::StatusOr<v1::DeleteCustomerResponse> deleted =
      DeleteCustomer(*admin, kOrsted, kOrsted);
  REQUIRE(deleted.ok());
  CHECK(deleted->revoked_tokens() == 1);

  CHECK(absl::IsNotFound(GetCustomer(*admin, kOrsted).status()));
  CHECK(absl::IsNotFound(DeleteCustomer(*admin, kOrsted, kOrsted).status()));
  CHECK(absl::IsNotFound(
      client->Append(SingleWrite(kOrsted, kNominations, 3, 1, 1)).status()));
  // The other customer is untouched.
  const std::vector<v1::RecordedEvent> gasum_after = ReadFeed(*client, kGasum);
  CHECK(IdsOf(gasum_after) == IdsOf(gasum_before));
  CHECK(PositionsOf(gasum_after) == Sequence(1, 4));
  // The consumer token of the customer is revoked, the producer token
  // narrowed to the other customer.
  const std::vector<v1::TokenInfo> tokens = AllTokens(*admin);
  CHECK_FALSE(Lists(tokens, consumer.info().token_id()));
  for (const v1::TokenInfo& token : tokens) {
    if (token.token_id() == producer.info().token_id()) {
      CHECK(std::vector<std::string>(token.customers().begin(),
                                     token.customers().end()) ==
            std::vector<std::string>{kGasum});
    }
  }
  CHECK(Lists(tokens, producer.info().token_id()));

  // Created again, it starts empty at position 1.
  MustCreateCustomer(*admin, kOrsted);
  absl::StatusOr<v1::GetCustomerResponse> again = GetCustomer(*admin, kOrsted);
  REQUIRE(again.ok());
  CHECK(again->customer().head_position() == 0);
  const v1::AppendResponse appended =
      MustAppend(*client, SingleWrite(kOrsted, kNominations, 4, 1, 2));
  CHECK(appended.first_position() == 1);
  CHECK(ReadFeed(*client, kOrsted).size() == 2);
  // Its old tokens do not come back.
  CHECK(AllTokens(*admin, kOrsted).empty());
}

TEST_CASE("tokens are created and listed without their secrets") {
  EvstoredProcess server(EvstoredProcessOptions::ExplicitCustomers());
  auto admin = ConnectAdmin(server);
  MustCreateCustomer(*admin, kOrsted);
  MustCreateCustomer(*admin, kGasum);
  const std::vector<v1::TokenInfo> bootstrap = AllTokens(*admin);
  REQUIRE(bootstrap.size() == 1);
  CHECK(bootstrap[0].role() == v1::ROLE_ADMIN);

  const int64_t before = absl::ToUnixSeconds(absl::Now());
  const v1::CreateTokenResponse producer = MustCreateToken(
      *admin, TokenRequest(v1::ROLE_PRODUCER, {kOrsted, kGasum}, "platform ✓"));
  CHECK_THAT(producer.token(), Catch::Matchers::StartsWith("evs_"));
  CHECK(producer.token().size() == 47);
  CHECK(producer.info().token_id().size() == 12);
  CHECK(producer.info().role() == v1::ROLE_PRODUCER);
  // Sorted.
  CHECK(std::vector<std::string>(producer.info().customers().begin(),
                                 producer.info().customers().end()) ==
        std::vector<std::string>{kGasum, kOrsted});
  CHECK(producer.info().description() == "platform ✓");
  CHECK(producer.info().created_at().seconds() >= before);
  const v1::CreateTokenResponse consumer =
      MustCreateToken(*admin, TokenRequest(v1::ROLE_CONSUMER, {kOrsted}));
  const v1::CreateTokenResponse everything =
      MustCreateToken(*admin, TokenRequest(v1::ROLE_PRODUCER, {}));
  CHECK(producer.token() != consumer.token());

  const std::vector<v1::TokenInfo> tokens = AllTokens(*admin);
  CHECK(tokens.size() == 4);
  std::vector<std::string> ids = TokenIds(tokens);
  CHECK(std::is_sorted(ids.begin(), ids.end()));
  for (const v1::TokenInfo& token : tokens) {
    if (token.token_id() == producer.info().token_id()) {
      CHECK(token.SerializeAsString() == producer.info().SerializeAsString());
    }
    // No secret anywhere in the listing.
    CHECK(token.SerializeAsString().find(producer.token()) ==
          std::string::npos);
  }
  CHECK(Lists(tokens, consumer.info().token_id()));
  CHECK(Lists(tokens, everything.info().token_id()));

  // Only the tokens that name the customer.
  std::vector<std::string> orsted = TokenIds(AllTokens(*admin, kOrsted));
  std::vector<std::string> expected = {producer.info().token_id(),
                                       consumer.info().token_id()};
  std::sort(expected.begin(), expected.end());
  CHECK(orsted == expected);
  CHECK(TokenIds(AllTokens(*admin, kGasum)) ==
        std::vector<std::string>{producer.info().token_id()});
  CHECK(AllTokens(*admin, "nobody").empty());
  v1::ListTokensRequest bad_filter;
  bad_filter.set_customer("Not A Name");
  CHECK(absl::IsInvalidArgument(admin->ListTokens(bad_filter).status()));

  // The producer token is accepted for an append (whether or not appends
  // check tokens yet).
  auto platform = ConnectWith(server, producer.token());
  MustAppend(*platform, SingleWrite(kGasum, kNominations, 1, 1, 1));
}

TEST_CASE("tokens are listed one page at a time by token id") {
  EvstoredProcess server(EvstoredProcessOptions::ExplicitCustomers());
  auto admin = ConnectAdmin(server);
  for (int i = 0; i < 6; ++i) {
    MustCreateToken(*admin, TokenRequest(v1::ROLE_PRODUCER, {}));
  }
  const std::vector<v1::TokenInfo> all = AllTokens(*admin);
  REQUIRE(all.size() == 7);
  std::vector<std::string> ids = TokenIds(all);
  CHECK(std::is_sorted(ids.begin(), ids.end()));
  CHECK(std::set<std::string>(ids.begin(), ids.end()).size() == 7);

  v1::ListTokensRequest request;
  request.set_page_size(3);
  std::vector<int> page_sizes;
  do {
    absl::StatusOr<v1::ListTokensResponse> page = admin->ListTokens(request);
    REQUIRE(page.ok());
    page_sizes.push_back(page->tokens_size());
    request.set_page_token(page->next_page_token());
  } while (!request.page_token().empty());
  CHECK(page_sizes == std::vector<int>{3, 3, 1});
  CHECK(TokenIds(AllTokens(*admin, "", 3)) == ids);
  CHECK(TokenIds(AllTokens(*admin, "", 1)) == ids);

  request.Clear();
  request.set_page_size(1001);
  CHECK(absl::IsInvalidArgument(admin->ListTokens(request).status()));
  request.Clear();
  request.set_page_token("garbage");
  absl::Status bad = admin->ListTokens(request).status();
  CHECK(absl::IsInvalidArgument(bad));
  CHECK_THAT(MessageOf(bad), Contains("page_token"));
}

TEST_CASE("CreateToken rejects bad requests and creates nothing") {
  EvstoredProcess server(EvstoredProcessOptions::ExplicitCustomers());
  auto admin = ConnectAdmin(server);
  MustCreateCustomer(*admin, kOrsted);
  MustCreateCustomer(*admin, kGasum);
  struct Case {
    const char* what;
    v1::CreateTokenRequest request;
    absl::StatusCode code;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"no role", TokenRequest(v1::ROLE_UNSPECIFIED, {}),
       absl::StatusCode::kInvalidArgument, "role"},
      {"unknown role", TokenRequest(static_cast<v1::Role>(7), {}),
       absl::StatusCode::kInvalidArgument, "role"},
      {"consumer of none", TokenRequest(v1::ROLE_CONSUMER, {}),
       absl::StatusCode::kInvalidArgument, "exactly one"},
      {"consumer of two", TokenRequest(v1::ROLE_CONSUMER, {kOrsted, kGasum}),
       absl::StatusCode::kInvalidArgument, "exactly one"},
      {"admin of a customer", TokenRequest(v1::ROLE_ADMIN, {kOrsted}),
       absl::StatusCode::kInvalidArgument, "admin"},
      {"customer twice", TokenRequest(v1::ROLE_PRODUCER, {kOrsted, kOrsted}),
       absl::StatusCode::kInvalidArgument, "more than once"},
      {"invalid customer", TokenRequest(v1::ROLE_PRODUCER, {kOrsted, "A B"}),
       absl::StatusCode::kInvalidArgument, "customers[1]"},
      {"unknown customer", TokenRequest(v1::ROLE_PRODUCER, {kOrsted, "nobody"}),
       absl::StatusCode::kNotFound, "nobody"},
      {"unknown consumer customer", TokenRequest(v1::ROLE_CONSUMER, {"nobody"}),
       absl::StatusCode::kNotFound, "nobody"},
      {"long description",
       TokenRequest(v1::ROLE_PRODUCER, {}, std::string(257, 'd')),
       absl::StatusCode::kInvalidArgument, "description"},
      {"control character", TokenRequest(v1::ROLE_PRODUCER, {}, "line\nbreak"),
       absl::StatusCode::kInvalidArgument, "description"},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    absl::Status status = admin->CreateToken(c.request).status();
    CHECK(status.code() == c.code);
    CHECK_THAT(MessageOf(status), Contains(c.message));
  }
  CHECK(AllTokens(*admin).size() == 1);
  // The longest description is fine.
  MustCreateToken(*admin,
                  TokenRequest(v1::ROLE_PRODUCER, {}, std::string(256, 'd')));
}

TEST_CASE("a revoked token is gone at once") {
  EvstoredProcess server(EvstoredProcessOptions::ExplicitCustomers());
  auto admin = ConnectAdmin(server);
  MustCreateCustomer(*admin, kOrsted);
  const v1::CreateTokenResponse consumer =
      MustCreateToken(*admin, TokenRequest(v1::ROLE_CONSUMER, {kOrsted}));
  const v1::CreateTokenResponse second_admin =
      MustCreateToken(*admin, TokenRequest(v1::ROLE_ADMIN, {}, "ops"));

  // The new admin token works on the Admin API until it is revoked.
  auto ops = ConnectAdmin(server, second_admin.token());
  CHECK(ops->ListCustomers(v1::ListCustomersRequest()).ok());
  REQUIRE(RevokeToken(*admin, second_admin.info().token_id()).ok());
  CHECK(absl::IsUnauthenticated(
      ops->ListCustomers(v1::ListCustomersRequest()).status()));

  REQUIRE(RevokeToken(*admin, consumer.info().token_id()).ok());
  const std::vector<v1::TokenInfo> tokens = AllTokens(*admin);
  CHECK_FALSE(Lists(tokens, consumer.info().token_id()));
  CHECK_FALSE(Lists(tokens, second_admin.info().token_id()));
  CHECK(tokens.size() == 1);

  absl::Status again = RevokeToken(*admin, consumer.info().token_id()).status();
  CHECK(absl::IsNotFound(again));
  CHECK_THAT(MessageOf(again), Contains(consumer.info().token_id()));
  for (const std::string& bad :
       {std::string(), std::string("xyz"), std::string("ABCDEF012345"),
        std::string("0123456789abc")}) {
    INFO(bad);
    absl::Status status = RevokeToken(*admin, bad).status();
    CHECK(absl::IsInvalidArgument(status));
    CHECK_THAT(MessageOf(status), Contains("token_id"));
  }
  // Revocations survive a restart.
  server.Restart();
  admin = ConnectAdmin(server);
  CHECK(AllTokens(*admin).size() == 1);
}

TEST_CASE("only admin tokens may use the Admin API") {
  EvstoredProcess server(EvstoredProcessOptions::ExplicitCustomers());
  auto admin = ConnectAdmin(server);
  MustCreateCustomer(*admin, kOrsted);
  const v1::CreateTokenResponse producer =
      MustCreateToken(*admin, TokenRequest(v1::ROLE_PRODUCER, {}));
  const v1::CreateTokenResponse consumer =
      MustCreateToken(*admin, TokenRequest(v1::ROLE_CONSUMER, {kOrsted}));
  const std::string consumer_id = consumer.info().token_id();

  // One call of every RPC, each one that an admin could make (and that
  // would change something): a denied caller must not get past the check.
  using Call = std::function<absl::Status(const client::AdminClient&)>;
  const std::vector<std::pair<const char*, Call>> calls = {
      {"CreateCustomer",
       [](const client::AdminClient& a) {
         return CreateCustomer(a, kGasum).status();
       }},
      {"GetCustomer",
       [](const client::AdminClient& a) {
         return GetCustomer(a, kOrsted).status();
       }},
      {"ListCustomers",
       [](const client::AdminClient& a) {
         return a.ListCustomers(v1::ListCustomersRequest()).status();
       }},
      {"DeleteCustomer",
       [](const client::AdminClient& a) {
         return DeleteCustomer(a, kOrsted, kOrsted).status();
       }},
      {"CreateToken",
       [](const client::AdminClient& a) {
         return a.CreateToken(TokenRequest(v1::ROLE_ADMIN, {})).status();
       }},
      {"ListTokens",
       [](const client::AdminClient& a) {
         return a.ListTokens(v1::ListTokensRequest()).status();
       }},
      {"RevokeToken",
       [&consumer_id](const client::AdminClient& a) {
         return RevokeToken(a, consumer_id).status();
       }},
  };
  struct Caller {
    const char* name;
    std::string token;
    absl::StatusCode code;
  };
  const std::vector<Caller> callers = {
      {"no token", "", absl::StatusCode::kUnauthenticated},
      {"garbage token", "evs_garbage", absl::StatusCode::kUnauthenticated},
      {"unknown token", "evs_" + std::string(43, 'A'),
       absl::StatusCode::kUnauthenticated},
      {"producer", producer.token(), absl::StatusCode::kPermissionDenied},
      {"consumer", consumer.token(), absl::StatusCode::kPermissionDenied},
  };
  for (const Caller& caller : callers) {
    auto denied = ConnectAdmin(server, caller.token);
    for (const auto& [rpc, call] : calls) {
      INFO(caller.name << " calls " << rpc);
      CHECK(call(*denied).code() == caller.code);
    }
  }
  // Authentication comes before validation: a malformed request without a
  // token is UNAUTHENTICATED, not INVALID_ARGUMENT.
  auto anonymous = ConnectAdmin(server, "");
  CHECK(absl::IsUnauthenticated(
      CreateCustomer(*anonymous, "Not A Name").status()));
  CHECK(absl::IsUnauthenticated(
      DeleteCustomer(*anonymous, kOrsted, "wrong").status()));

  // Nothing changed.
  CHECK(GetCustomer(*admin, kOrsted).ok());
  CHECK(absl::IsNotFound(GetCustomer(*admin, kGasum).status()));
  CHECK(AllTokens(*admin).size() == 3);
}

}  // namespace
}  // namespace evstore::testing
