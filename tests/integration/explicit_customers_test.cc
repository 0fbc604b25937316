// Explicit customers against a real evstored: without the development flag
// --auto_create_customers, an append to an unknown customer is NOT_FOUND.
#include <catch2/catch.hpp>
#include <string>

#include "absl/status/status.h"
#include "tests/integration/evstored_process.h"
#include "tests/integration/test_events.h"

namespace evstore::testing {
namespace {

using Catch::Matchers::Contains;

TEST_CASE("evstored refuses appends to unknown customers by default") {
  EvstoredProcess server(EvstoredProcessOptions::ExplicitCustomers());
  auto client = server.Connect();
  const v1::AppendRequest request = SingleWrite(kOrsted, kNominations, 1, 1, 2);
  absl::StatusOr<v1::AppendResponse> response = client->Append(request);
  REQUIRE(absl::IsNotFound(response.status()));
  CHECK_THAT(MessageOf(response.status()), Contains("does not exist"));
  // Reads of a customer that does not exist are NOT_FOUND too.
  v1::ReadRequest read;
  read.set_customer(kOrsted);
  read.set_max_count(10);
  const absl::Status read_status = client->ReadAll(read).status();
  INFO(read_status.ToString());
  CHECK(absl::IsNotFound(read_status));
  // A restart does not change that: nothing was created.
  server.Restart();
  client = server.Connect();
  CHECK(absl::IsNotFound(client->Append(request).status()));
  CHECK_THAT(server.LogText(), !Contains("DEVELOPMENT MODE"));
}

TEST_CASE("evstored with --auto_create_customers warns and creates customers") {
  EvstoredProcessOptions options = EvstoredProcessOptions::ExplicitCustomers();
  options.extra_flags.emplace_back("--auto_create_customers");
  EvstoredProcess server(options);
  auto client = server.Connect();
  MustAppend(*client, SingleWrite(kOrsted, kNominations, 1, 1, 2));
  CHECK(FeedHead(*client, kOrsted) == 2);
  CHECK_THAT(server.LogText(), Contains("DEVELOPMENT MODE"));
}

}  // namespace
}  // namespace evstore::testing
