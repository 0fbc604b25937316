// Revoking a token and deleting a customer take effect on calls that are
// already open: subscriptions end (UNAUTHENTICATED within about a second;
// NOT_FOUND for a deleted customer) and append sessions refuse later
// appends.
#include <catch2/catch.hpp>
#include <cstdio>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
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

EvstoredProcessOptions ExplicitCustomers() {
  EvstoredProcessOptions options;
  options.auto_create_customers = false;
  return options;
}

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

TEST_CASE("revoking a token ends its open subscriptions and append sessions") {
  EvstoredProcess server(ExplicitCustomers());
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
  EvstoredProcess server(ExplicitCustomers());
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

}  // namespace
}  // namespace evstore::testing
