// Per-customer quotas in storage (persisted, validated, deleted with the
// customer), the stored-bytes figure, and the server's QuotaEnforcer on a
// real EventLog with an injected clock.
#include "server/quota_enforcer.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <utility>

#include "server/retry_hint.h"
#include "storage/customer_quota.h"
#include "storage/event_log.h"
#include "tests/unit/test_support.h"

using namespace evstore;
using evstore::server::QuotaEnforcer;
using evstore::server::RetryAfterMs;
using evstore::server::SubscriptionSlot;
using evstore::testing::AppendSync;
using evstore::testing::CreateCustomerSync;
using evstore::testing::DeleteCustomerSync;
using evstore::testing::OneStream;
using evstore::testing::TempDir;
using evstore::testing::TestOptions;

namespace {

std::unique_ptr<EventLog> Open(const TempDir& dir) {
  EventLogOptions options = TestOptions(dir.path());
  options.auto_create_customers = false;
  auto log = EventLog::Open(options);
  REQUIRE(log.ok());
  return std::move(*log);
}

CustomerQuota SomeQuota() {
  CustomerQuota quota;
  quota.append_events_per_second = 10;
  quota.append_bytes_per_second = 1000;
  quota.append_events_burst = 20;
  quota.max_subscriptions = 3;
  quota.max_stored_bytes = 1 << 20;
  return quota;
}

}  // namespace

TEST_CASE("quotas are stored durably and deleted with their customer") {
  TempDir dir;
  {
    auto log = Open(dir);
    REQUIRE(CreateCustomerSync(*log, "a").ok());
    REQUIRE(CreateCustomerSync(*log, "b").ok());
    CHECK(log->Usage("a")->quota.IsUnlimited());  // The default.
    REQUIRE(log->SetQuota("a", SomeQuota()).ok());
    CHECK(log->Usage("a")->quota == SomeQuota());
    CHECK(log->Usage("b")->quota.IsUnlimited());
    CHECK(log->SetQuota("nobody", SomeQuota()).code() ==
          absl::StatusCode::kNotFound);
    CHECK(log->Usage("nobody").status().code() == absl::StatusCode::kNotFound);
  }
  auto log = Open(dir);
  CHECK(log->Usage("a")->quota == SomeQuota());
  REQUIRE(DeleteCustomerSync(*log, "a").ok());
  REQUIRE(CreateCustomerSync(*log, "a").ok());
  CHECK(log->Usage("a")->quota.IsUnlimited());  // A new customer.
  log.reset();
  log = Open(dir);
  CHECK(log->Usage("a")->quota.IsUnlimited());  // Gone on disk too.
}

TEST_CASE("nonsense quotas are refused naming the field") {
  TempDir dir;
  auto log = Open(dir);
  REQUIRE(CreateCustomerSync(*log, "a").ok());
  CustomerQuota burst_without_rate;
  burst_without_rate.append_bytes_burst = 5;
  absl::Status s = log->SetQuota("a", burst_without_rate);
  CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(s.message()),
             Catch::Contains("quota.append_bytes_burst"));
  CustomerQuota huge;
  huge.append_events_per_second = kMaxQuotaRate + 1;
  s = log->SetQuota("a", huge);
  CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(s.message()),
             Catch::Contains("quota.append_events_per_second"));
  CHECK(log->Usage("a")->quota.IsUnlimited());
}

TEST_CASE("stored bytes count each customer's events and survive a reopen") {
  TempDir dir;
  uint64_t a_bytes = 0;
  {
    auto log = Open(dir);
    REQUIRE(CreateCustomerSync(*log, "a").ok());
    REQUIRE(CreateCustomerSync(*log, "b").ok());
    CHECK(log->Usage("a")->stored_bytes == 0);
    REQUIRE(AppendSync(*log, OneStream("a", "s", 10)).ok());
    a_bytes = log->Usage("a")->stored_bytes;
    // At least the data ({"value":1}) and type of each event.
    CHECK(a_bytes >= uint64_t{10} * (11 + 23));
    CHECK(a_bytes < uint64_t{10} * 400);
    CHECK(log->Usage("b")->stored_bytes == 0);
    REQUIRE(AppendSync(*log, OneStream("a", "s", 10)).ok());
    CHECK(log->Usage("a")->stored_bytes == 2 * a_bytes);
  }
  auto log = Open(dir);
  CHECK(log->Usage("a")->stored_bytes == 2 * a_bytes);
  REQUIRE(DeleteCustomerSync(*log, "a").ok());
  REQUIRE(CreateCustomerSync(*log, "a").ok());
  CHECK(log->Usage("a")->stored_bytes == 0);
}

TEST_CASE("the enforcer limits the append rate per customer") {
  TempDir dir;
  auto log = Open(dir);
  REQUIRE(CreateCustomerSync(*log, "a").ok());
  REQUIRE(CreateCustomerSync(*log, "b").ok());
  CustomerQuota quota;
  quota.append_events_per_second = 10;
  quota.append_events_burst = 5;
  REQUIRE(log->SetQuota("a", quota).ok());
  absl::Time now = absl::FromUnixSeconds(1'000'000);
  QuotaEnforcer quotas(log.get(), [&now] { return now; });

  // The burst of 5, then refused with the time until one token is back.
  for (int i = 0; i < 5; ++i)
    REQUIRE(quotas.AdmitAppend(OneStream("a", "s", 1)).ok());
  absl::Status refused = quotas.AdmitAppend(OneStream("a", "s", 1));
  CHECK(refused.code() == absl::StatusCode::kResourceExhausted);
  CHECK_THAT(std::string(refused.message()),
             Catch::Contains("append_events_per_second"));
  CHECK(RetryAfterMs(refused) == 100);
  // B is unlimited and unaffected.
  for (int i = 0; i < 100; ++i) {
    REQUIRE(quotas.AdmitAppend(OneStream("b", "s", 10)).ok());
  }
  // Two events need 200 ms; nothing was taken by the refused append.
  now += absl::Milliseconds(150);
  refused = quotas.AdmitAppend(OneStream("a", "s", 2));
  CHECK(RetryAfterMs(refused) == 50);
  now += absl::Milliseconds(50);
  CHECK(quotas.AdmitAppend(OneStream("a", "s", 2)).ok());

  // A new quota applies at once.
  REQUIRE(log->SetQuota("a", CustomerQuota{}).ok());
  CHECK(quotas.AdmitAppend(OneStream("a", "s", 1000)).ok());
}

TEST_CASE("the enforcer limits appends by stored bytes") {
  TempDir dir;
  auto log = Open(dir);
  REQUIRE(CreateCustomerSync(*log, "a").ok());
  QuotaEnforcer quotas(log.get());
  REQUIRE(AppendSync(*log, OneStream("a", "s", 10)).ok());
  CustomerQuota quota;
  quota.max_stored_bytes = log->Usage("a")->stored_bytes + 1;
  REQUIRE(log->SetQuota("a", quota).ok());
  REQUIRE(quotas.AdmitAppend(OneStream("a", "s", 1)).ok());
  REQUIRE(AppendSync(*log, OneStream("a", "s", 1)).ok());
  absl::Status refused = quotas.AdmitAppend(OneStream("a", "s", 1));
  CHECK(refused.code() == absl::StatusCode::kResourceExhausted);
  CHECK_THAT(std::string(refused.message()),
             Catch::Contains("max_stored_bytes"));
  CHECK(RetryAfterMs(refused) == std::nullopt);
}

TEST_CASE("the enforcer limits concurrent subscriptions and frees slots") {
  TempDir dir;
  auto log = Open(dir);
  REQUIRE(CreateCustomerSync(*log, "a").ok());
  REQUIRE(CreateCustomerSync(*log, "b").ok());
  CustomerQuota quota;
  quota.max_subscriptions = 2;
  REQUIRE(log->SetQuota("a", quota).ok());
  QuotaEnforcer quotas(log.get());
  absl::StatusOr<SubscriptionSlot> first = quotas.AcquireSubscription("a");
  absl::StatusOr<SubscriptionSlot> second = quotas.AcquireSubscription("a");
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  absl::StatusOr<SubscriptionSlot> third = quotas.AcquireSubscription("a");
  CHECK(third.status().code() == absl::StatusCode::kResourceExhausted);
  CHECK_THAT(std::string(third.status().message()),
             Catch::Contains("max_subscriptions"));
  absl::StatusOr<SubscriptionSlot> other = quotas.AcquireSubscription("b");
  CHECK(other.ok());
  CHECK(quotas.Subscriptions("a") == 2);
  {
    SubscriptionSlot moved = *std::move(first);  // Moving keeps one slot.
    CHECK(quotas.Subscriptions("a") == 2);
  }
  CHECK(quotas.Subscriptions("a") == 1);
  CHECK(quotas.AcquireSubscription("a").ok());  // Released at once again.
  CHECK(quotas.Subscriptions("a") == 1);
}
