// Per-customer quotas end to end, set through AdminService.SetCustomerQuota:
// an append rate limit that does not touch other customers, concurrent
// subscriptions, stored bytes. No timing assertions: rates are checked with
// generous margins against the elapsed time actually measured.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/admin_client.h"
#include "client/append_session.h"
#include "client/retry_after.h"
#include "tests/integration/evstored_process.h"
#include "tests/integration/test_events.h"

namespace evstore::testing {
namespace {

using Catch::Matchers::Contains;

// SetCustomerQuota through AdminClient with the admin token; on success,
// requires that GetCustomer shows the quota.
absl::Status SetQuota(const EvstoredProcess& server,
                      const std::string& customer,
                      const v1::CustomerQuota& quota) {
  absl::StatusOr<std::unique_ptr<client::AdminClient>> admin =
      client::AdminClient::Connect(
          {.address = server.address(), .token = server.AdminToken()});
  REQUIRE(admin.ok());
  v1::SetCustomerQuotaRequest request;
  request.set_customer(customer);
  *request.mutable_quota() = quota;
  absl::StatusOr<v1::SetCustomerQuotaResponse> response =
      (*admin)->SetCustomerQuota(request);
  if (!response.ok()) return response.status();
  CHECK(response->customer().quota().SerializeAsString() ==
        quota.SerializeAsString());
  v1::GetCustomerRequest get;
  get.set_customer(customer);
  absl::StatusOr<v1::GetCustomerResponse> got = (*admin)->GetCustomer(get);
  REQUIRE(got.ok());
  CHECK(got->customer().quota().SerializeAsString() ==
        quota.SerializeAsString());
  return absl::OkStatus();
}

// A one-event append with a fresh id of `series`.
v1::AppendRequest OneEvent(const std::string& customer, uint32_t series,
                           uint64_t n) {
  return SingleWrite(customer, kNominations, series, n, 1);
}

v1::SubscribeRequest SubscribeTo(const std::string& customer) {
  v1::SubscribeRequest request;
  request.set_customer(customer);
  return request;
}

// The first message of a new subscription, or its error.
absl::Status FirstMessage(client::Subscription& subscription) {
  return subscription.Next(absl::Seconds(10)).status();
}

}  // namespace

TEST_CASE(
    "a customer over its append rate is refused with a retry hint while "
    "another appends at full speed") {
  EvstoredProcess server;
  auto client = server.Connect();
  MustAppend(*client, OneEvent(kOrsted, 1, 0));
  MustAppend(*client, OneEvent(kGasum, 2, 0));
  constexpr double kRate = 20;
  constexpr double kBurst = 10;
  v1::CustomerQuota quota;
  quota.set_append_events_per_second(static_cast<uint64_t>(kRate));
  quota.set_append_events_burst(static_cast<uint64_t>(kBurst));
  REQUIRE(SetQuota(server, kOrsted, quota).ok());

  std::atomic<bool> stop{false};
  std::atomic<int> b_ok{0};
  std::atomic<int> b_failed{0};
  std::thread other([&] {
    auto b_client = server.Connect();
    for (uint64_t n = 1; !stop.load(); ++n) {
      if (b_client->Append(OneEvent(kGasum, 2, n)).ok()) {
        b_ok.fetch_add(1);
      } else {
        b_failed.fetch_add(1);
      }
    }
  });

  int a_ok = 0;
  int a_refused = 0;
  int a_refused_without_hint = 0;
  int a_other = 0;
  std::string refusal;
  std::optional<absl::Duration> hint;
  const absl::Time start = absl::Now();
  for (uint64_t n = 1; absl::Now() - start < absl::Seconds(2); ++n) {
    absl::StatusOr<v1::AppendResponse> result =
        client->Append(OneEvent(kOrsted, 1, n));
    if (result.ok()) {
      ++a_ok;
    } else if (result.status().code() == absl::StatusCode::kResourceExhausted) {
      ++a_refused;
      refusal = MessageOf(result.status());
      hint = client::RetryAfter(result.status());
      if (!hint || *hint <= absl::ZeroDuration() || *hint > absl::Seconds(1)) {
        ++a_refused_without_hint;
      }
    } else {
      ++a_other;
      refusal = MessageOf(result.status());
    }
  }
  const double elapsed = absl::ToDoubleSeconds(absl::Now() - start);
  stop = true;
  other.join();

  INFO("A: " << a_ok << " ok, " << a_refused << " refused in " << elapsed
             << " s; B: " << b_ok << " ok; last refusal: " << refusal);
  CHECK(b_failed == 0);
  CHECK(b_ok > 0);
  CHECK(a_other == 0);
  CHECK(a_refused > 0);
  CHECK(a_refused_without_hint == 0);
  CHECK_THAT(refusal, Contains("append_events_per_second"));
  CHECK_THAT(refusal, Contains(kOrsted));
  CHECK(a_ok >= 1);
  // Within rate x elapsed + burst, with a generous margin.
  CHECK(a_ok <= 1.5 * (kRate * elapsed + kBurst) + 5);
  CHECK(FeedHead(*client, kOrsted) == static_cast<uint64_t>(a_ok) + 1);

  // On a session, each refused append carries its own hint.
  std::unique_ptr<client::AppendSession> session = client->OpenAppendSession();
  std::vector<std::future<absl::StatusOr<v1::AppendResponse>>> results;
  for (uint64_t n = 0; n < 40; ++n) {
    auto promise =
        std::make_shared<std::promise<absl::StatusOr<v1::AppendResponse>>>();
    results.push_back(promise->get_future());
    session->AppendAsync(OneEvent(kOrsted, 3, n),
                         [promise](absl::StatusOr<v1::AppendResponse> r) {
                           promise->set_value(std::move(r));
                         });
  }
  int session_refused = 0;
  for (auto& result : results) {
    absl::StatusOr<v1::AppendResponse> r = result.get();
    if (r.ok()) continue;
    CHECK(r.status().code() == absl::StatusCode::kResourceExhausted);
    CHECK(client::RetryAfter(r.status()).has_value());
    ++session_refused;
  }
  CHECK(session_refused > 0);
  CHECK(session->Close(absl::Seconds(30)).ok());
}

TEST_CASE(
    "the subscription quota refuses one more and a closed one frees "
    "its slot") {
  EvstoredProcess server;
  auto client = server.Connect();
  MustAppend(*client, OneEvent(kOrsted, 1, 0));
  MustAppend(*client, OneEvent(kGasum, 2, 0));
  v1::CustomerQuota quota;
  quota.set_max_subscriptions(2);
  REQUIRE(SetQuota(server, kOrsted, quota).ok());

  std::unique_ptr<client::Subscription> first =
      client->Subscribe(SubscribeTo(kOrsted));
  std::unique_ptr<client::Subscription> second =
      client->Subscribe(SubscribeTo(kOrsted));
  REQUIRE(FirstMessage(*first).ok());
  REQUIRE(FirstMessage(*second).ok());
  std::unique_ptr<client::Subscription> third =
      client->Subscribe(SubscribeTo(kOrsted));
  const absl::Status refused = FirstMessage(*third);
  CHECK(refused.code() == absl::StatusCode::kResourceExhausted);
  CHECK_THAT(MessageOf(refused), Contains("max_subscriptions"));
  third.reset();

  // Another customer is not affected.
  std::vector<std::unique_ptr<client::Subscription>> others;
  for (int i = 0; i < 3; ++i) {
    others.push_back(client->Subscribe(SubscribeTo(kGasum)));
    CHECK(FirstMessage(*others.back()).ok());
  }

  // Closing one frees its slot once the server has seen the cancel.
  first.reset();
  absl::Status again = absl::UnknownError("not tried");
  for (int attempt = 0; attempt < 100 && !again.ok(); ++attempt) {
    std::unique_ptr<client::Subscription> next =
        client->Subscribe(SubscribeTo(kOrsted));
    again = FirstMessage(*next);
    if (again.ok()) {
      first = std::move(next);
    } else {
      REQUIRE(again.code() == absl::StatusCode::kResourceExhausted);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  CHECK(again.ok());
  // And the quota holds again.
  std::unique_ptr<client::Subscription> over =
      client->Subscribe(SubscribeTo(kOrsted));
  CHECK(FirstMessage(*over).code() == absl::StatusCode::kResourceExhausted);
}

TEST_CASE("a customer over its stored bytes cannot append but still reads") {
  EvstoredProcess server;
  auto client = server.Connect();
  for (uint64_t n = 0; n < 10; ++n)
    MustAppend(*client, OneEvent(kOrsted, 1, n));
  MustAppend(*client, OneEvent(kGasum, 2, 0));
  v1::CustomerQuota quota;
  quota.set_max_stored_bytes(1000);  // Ten nominations store more.
  REQUIRE(SetQuota(server, kOrsted, quota).ok());

  absl::StatusOr<v1::AppendResponse> refused =
      client->Append(OneEvent(kOrsted, 1, 10));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == absl::StatusCode::kResourceExhausted);
  CHECK_THAT(MessageOf(refused.status()), Contains("max_stored_bytes"));
  CHECK_FALSE(client::RetryAfter(refused.status()).has_value());
  CHECK(ReadFeed(*client, kOrsted).size() == 10);  // Reads still work.
  MustAppend(*client, OneEvent(kGasum, 2, 1));     // Others unaffected.

  // Raised (here: unlimited again), appends resume.
  REQUIRE(SetQuota(server, kOrsted, v1::CustomerQuota()).ok());
  MustAppend(*client, OneEvent(kOrsted, 1, 10));
}

TEST_CASE("SetCustomerQuota refuses unknown customers and nonsense quotas") {
  EvstoredProcess server;
  auto client = server.Connect();
  MustAppend(*client, OneEvent(kOrsted, 1, 0));
  v1::CustomerQuota quota;
  quota.set_max_subscriptions(1);
  CHECK(SetQuota(server, "no-such-customer", quota).code() ==
        absl::StatusCode::kNotFound);
  v1::CustomerQuota burst_without_rate;
  burst_without_rate.set_append_bytes_burst(100);
  const absl::Status nonsense = SetQuota(server, kOrsted, burst_without_rate);
  CHECK(nonsense.code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(MessageOf(nonsense), Contains("quota.append_bytes_burst"));
}

}  // namespace evstore::testing
