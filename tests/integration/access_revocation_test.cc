// Revoking a token and deleting a customer take effect on calls that are
// already open: subscriptions end (UNAUTHENTICATED within about a second;
// NOT_FOUND for a deleted customer) and append sessions refuse later
// appends. A subscriber whose client stopped reading (its server write held
// by HTTP/2 flow control) is ended too: the server cancels its call.
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/admin_client.h"
#include "client/append_session.h"
#include "client/evstore_client.h"
#include "client/subscription.h"
#include "tests/integration/access_support.h"
#include "tests/integration/evstored_process.h"
#include "tests/integration/test_events.h"

namespace evstore::testing {
namespace {

constexpr char kA[] = "alpha-gas";
constexpr char kStream[] = "contract/DS000068/nominations";
// Generous: the contract is "within one second"; the machine is noisy.
constexpr absl::Duration kEndDeadline = absl::Seconds(5);

std::unique_ptr<client::Client> ConnectWith(const EvstoredProcess& server,
                                            const std::string& token) {
  auto client =
      client::Client::Connect({.address = server.address(), .token = token});
  REQUIRE(client.ok());
  return *std::move(client);
}

// Pulls until `subscription` is live (caught_up seen).
void PullUntilCaughtUp(client::Subscription& subscription) {
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (absl::Now() < deadline) {
    absl::StatusOr<v1::SubscribeResponse> message =
        subscription.Next(absl::Seconds(1));
    if (absl::IsDeadlineExceeded(message.status())) continue;
    INFO(message.status().ToString());
    REQUIRE(message.ok());
    if (message->has_caught_up()) return;
  }
  FAIL("no caught_up within 20 s");
}

// Waits for the end of `subscription` (skipping heartbeats and events) and
// returns its status and when it was seen.
absl::Status AwaitEnd(client::Subscription& subscription, absl::Time* ended) {
  const absl::Time deadline = absl::Now() + kEndDeadline;
  while (absl::Now() < deadline) {
    absl::StatusOr<v1::SubscribeResponse> message =
        subscription.Next(absl::Milliseconds(20));
    if (message.ok() || absl::IsDeadlineExceeded(message.status())) continue;
    *ended = absl::Now();
    return message.status();
  }
  *ended = absl::Now();
  return absl::DeadlineExceededError("the subscription did not end");
}

// Appends this much to a feed for the stalled subscribers: far more than the
// HTTP/2 flow-control windows and the socket buffers between server and
// client hold, so that a subscriber that stops reading leaves a server write
// pending.
constexpr int kFillAppends = 48;
constexpr int kFillEventsPerAppend = 128;
constexpr size_t kFillEventBytes = size_t{4}
                                   << 10;  // 48 x 128 x 4 KiB = 24 MiB

void FillFeed(const client::Client& client, const std::string& customer) {
  const std::string data =
      R"({"pad":")" + std::string(kFillEventBytes, 'x') + R"("})";
  for (int i = 0; i < kFillAppends; ++i) {
    v1::AppendRequest request = SingleWrite(
        customer, kStream, /*series=*/77,
        static_cast<uint64_t>(i) * kFillEventsPerAppend, kFillEventsPerAppend);
    for (v1::ProposedEvent& event :
         *request.mutable_writes(0)->mutable_events()) {
      event.set_data(data);
    }
    MustAppend(client, request);
  }
}

// Allows `customer` one open subscription: whether a new one is admitted
// shows whether the server has ended the one holding the slot.
void LimitToOneSubscription(const EvstoredProcess& server,
                            const std::string& customer) {
  auto admin = client::AdminClient::Connect(
      {.address = server.address(), .token = server.AdminToken()});
  REQUIRE(admin.ok());
  v1::SetCustomerQuotaRequest request;
  request.set_customer(customer);
  request.mutable_quota()->set_max_subscriptions(1);
  const auto set = (*admin)->SetCustomerQuota(request);
  INFO(set.status().ToString());
  REQUIRE(set.ok());
}

// A subscription of `customer` from the start that takes one message and
// then stops reading: its client queues at most one message, so the rest of
// the feed (FillFeed) leaves the server's write pending. Gives the server a
// second to fill the windows.
std::unique_ptr<client::Subscription> StalledSubscription(
    const client::Client& client, const std::string& customer) {
  v1::SubscribeRequest request;
  request.set_customer(customer);
  std::unique_ptr<client::Subscription> subscription =
      client.Subscribe(request, {.max_queued_messages = 1});
  absl::StatusOr<v1::SubscribeResponse> first =
      subscription->Next(absl::Seconds(20));
  INFO(first.status().ToString());
  REQUIRE(first.ok());
  REQUIRE(first->has_events());
  std::this_thread::sleep_for(std::chrono::seconds(1));
  return subscription;
}

// Polls until `client` may open a subscription of `customer` (limited to
// one), i.e. until the server has ended the one holding its slot. Returns
// when, or nullopt if that did not happen within kEndDeadline.
std::optional<absl::Time> AwaitFreeSlot(const client::Client& client,
                                        const std::string& customer) {
  v1::SubscribeRequest request;
  request.set_customer(customer);
  const absl::Time deadline = absl::Now() + kEndDeadline;
  while (absl::Now() < deadline) {
    std::unique_ptr<client::Subscription> probe = client.Subscribe(request);
    absl::StatusOr<v1::SubscribeResponse> first =
        probe->Next(absl::Seconds(20));
    if (first.ok()) return absl::Now();
    INFO(first.status().ToString());
    REQUIRE(absl::IsResourceExhausted(first.status()));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return std::nullopt;
}

TEST_CASE("revoking a token ends its open subscriptions and append sessions") {
  EvstoredProcess server(EvstoredProcessOptions::ExplicitCustomers());
  AdminCalls admin(server);
  admin.CreateCustomer(kA);
  const AdminCalls::Token consumer = admin.CreateToken(v1::ROLE_CONSUMER, {kA});
  const AdminCalls::Token producer = admin.CreateToken(v1::ROLE_PRODUCER, {kA});
  const AdminCalls::Token other_consumer =
      admin.CreateToken(v1::ROLE_CONSUMER, {kA});

  auto producer_client = ConnectWith(server, producer.secret);
  std::unique_ptr<client::AppendSession> session =
      producer_client->OpenAppendSession();
  REQUIRE(session->Append(SingleWrite(kA, kStream, 1, 1, 1)).get().ok());

  auto consumer_client = ConnectWith(server, consumer.secret);
  v1::SubscribeRequest request;
  request.set_customer(kA);
  // Heartbeats every 100 ms: the subscription is busy, not just waiting.
  request.set_heartbeat_interval_ms(100);
  std::unique_ptr<client::Subscription> subscription =
      consumer_client->Subscribe(request);
  PullUntilCaughtUp(*subscription);
  auto other_client = ConnectWith(server, other_consumer.secret);
  std::unique_ptr<client::Subscription> unaffected =
      other_client->Subscribe(request);
  PullUntilCaughtUp(*unaffected);

  const absl::Time revoked = absl::Now();
  admin.RevokeToken(consumer.id);
  absl::Time ended;
  const absl::Status end = AwaitEnd(*subscription, &ended);
  std::printf("revoke-to-end of an open subscription: %.0f ms\n",
              absl::ToDoubleMilliseconds(ended - revoked));
  INFO(end.ToString());
  CHECK(absl::IsUnauthenticated(end));
  // New calls with the revoked token fail too; other tokens are unaffected.
  v1::ReadRequest read;
  read.set_customer(kA);
  read.set_max_count(100);
  CHECK(absl::IsUnauthenticated(consumer_client->ReadAll(read).status()));
  CHECK(other_client->ReadAll(read).ok());
  absl::StatusOr<v1::SubscribeResponse> still =
      unaffected->Next(absl::Seconds(2));
  INFO(still.status().ToString());
  CHECK((still.ok() || absl::IsDeadlineExceeded(still.status())));

  // The open append session: the append before the revocation succeeded,
  // the next one is refused, and the session itself goes on.
  admin.RevokeToken(producer.id);
  absl::StatusOr<v1::AppendResponse> after =
      session->Append(SingleWrite(kA, kStream, 2, 1, 1)).get();
  INFO(after.status().ToString());
  CHECK(absl::IsUnauthenticated(after.status()));
  absl::StatusOr<v1::AppendResponse> again =
      session->Append(SingleWrite(kA, kStream, 3, 1, 1)).get();
  CHECK(absl::IsUnauthenticated(again.status()));
  CHECK(ReadFeed(*ConnectWith(server, server.AdminToken()), kA).size() == 1);
}

TEST_CASE("deleting a customer ends its subscriptions with NOT_FOUND") {
  EvstoredProcess server(EvstoredProcessOptions::ExplicitCustomers());
  AdminCalls admin(server);
  admin.CreateCustomer(kA);
  admin.CreateCustomer(kOrsted);
  const AdminCalls::Token consumer = admin.CreateToken(v1::ROLE_CONSUMER, {kA});
  auto admin_client = ConnectWith(server, server.AdminToken());
  MustAppend(*admin_client, SingleWrite(kA, kStream, 1, 1, 3));
  MustAppend(*admin_client, SingleWrite(kOrsted, kStream, 2, 1, 3));

  v1::SubscribeRequest request;
  request.set_customer(kA);
  std::unique_ptr<client::Subscription> as_admin =
      admin_client->Subscribe(request);
  PullUntilCaughtUp(*as_admin);
  auto consumer_client = ConnectWith(server, consumer.secret);
  std::unique_ptr<client::Subscription> as_consumer =
      consumer_client->Subscribe(request);
  PullUntilCaughtUp(*as_consumer);
  v1::SubscribeRequest other_request;
  other_request.set_customer(kOrsted);
  std::unique_ptr<client::Subscription> other =
      admin_client->Subscribe(other_request);
  PullUntilCaughtUp(*other);

  const absl::Time deleted = absl::Now();
  admin.DeleteCustomer(kA);
  absl::Time ended;
  const absl::Status end = AwaitEnd(*as_admin, &ended);
  std::printf("delete-to-end of an open subscription: %.0f ms\n",
              absl::ToDoubleMilliseconds(ended - deleted));
  INFO(end.ToString());
  CHECK(absl::IsNotFound(end));
  // The consumer's token was revoked by the delete (it was limited to the
  // customer) just before the data went: it ends either way.
  const absl::Status consumer_end = AwaitEnd(*as_consumer, &ended);
  INFO(consumer_end.ToString());
  CHECK((absl::IsNotFound(consumer_end) ||
         absl::IsUnauthenticated(consumer_end)));

  // Reads of the deleted customer are NOT_FOUND; the other customer's
  // subscription goes on and sees new events.
  v1::ReadRequest read;
  read.set_customer(kA);
  read.set_max_count(100);
  CHECK(absl::IsNotFound(admin_client->ReadAll(read).status()));
  MustAppend(*admin_client, SingleWrite(kOrsted, kStream, 2, 4, 1));
  bool got_event = false;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!got_event && absl::Now() < deadline) {
    absl::StatusOr<v1::SubscribeResponse> message =
        other->Next(absl::Seconds(1));
    if (absl::IsDeadlineExceeded(message.status())) continue;
    REQUIRE(message.ok());
    got_event = message->has_events();
  }
  CHECK(got_event);
}

TEST_CASE("revoking the token of a stalled subscriber ends its call") {
  EvstoredProcess server(EvstoredProcessOptions::ExplicitCustomers());
  AdminCalls admin(server);
  admin.CreateCustomer(kA);
  const AdminCalls::Token consumer = admin.CreateToken(v1::ROLE_CONSUMER, {kA});
  auto admin_client = ConnectWith(server, server.AdminToken());
  FillFeed(*admin_client, kA);
  LimitToOneSubscription(server, kA);
  auto consumer_client = ConnectWith(server, consumer.secret);
  std::unique_ptr<client::Subscription> stalled =
      StalledSubscription(*consumer_client, kA);

  const absl::Time revoked = absl::Now();
  admin.RevokeToken(consumer.id);
  const std::optional<absl::Time> freed = AwaitFreeSlot(*admin_client, kA);
  REQUIRE(freed.has_value());
  std::printf("revoke-to-end of a stalled subscription: %.0f ms\n",
              absl::ToDoubleMilliseconds(*freed - revoked));
  // The client learns it once it reads again: the call was cancelled.
  absl::Time ended;
  const absl::Status end = AwaitEnd(*stalled, &ended);
  INFO(end.ToString());
  CHECK((absl::IsCancelled(end) || absl::IsUnauthenticated(end)));
}

TEST_CASE("deleting the customer of a stalled subscriber ends its call") {
  EvstoredProcess server(EvstoredProcessOptions::ExplicitCustomers());
  AdminCalls admin(server);
  admin.CreateCustomer(kA);
  auto admin_client = ConnectWith(server, server.AdminToken());
  FillFeed(*admin_client, kA);
  LimitToOneSubscription(server, kA);
  auto stalled_client = ConnectWith(server, server.AdminToken());
  std::unique_ptr<client::Subscription> stalled =
      StalledSubscription(*stalled_client, kA);

  const absl::Time deleted = absl::Now();
  admin.DeleteCustomer(kA);
  // The customer again, empty, with the same limit: the stalled call of
  // its predecessor still holds the slot until the server ends it.
  admin.CreateCustomer(kA);
  LimitToOneSubscription(server, kA);
  const std::optional<absl::Time> freed = AwaitFreeSlot(*admin_client, kA);
  REQUIRE(freed.has_value());
  std::printf("delete-to-end of a stalled subscription: %.0f ms\n",
              absl::ToDoubleMilliseconds(*freed - deleted));
  absl::Time ended;
  const absl::Status end = AwaitEnd(*stalled, &ended);
  INFO(end.ToString());
  CHECK((absl::IsCancelled(end) || absl::IsNotFound(end)));
}

}  // namespace
}  // namespace evstore::testing
