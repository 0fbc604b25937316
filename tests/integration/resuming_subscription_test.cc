// ResumingSubscription (client/resuming_subscription.h) against a real
// evstored: permanent errors end it at once instead of being retried, a
// start at the end is anchored by the first caught-up across a crash, and
// auto-commit commits exactly what the processing contract says (explicit
// acks, heartbeats of a sparse selection, Close()).
#include "client/resuming_subscription.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/admin_client.h"
#include "client/evstore_client.h"
#include "tests/integration/evstored_process.h"
#include "tests/integration/fixed_port_server.h"
#include "tests/integration/test_events.h"

namespace evstore::testing {
namespace {

constexpr char kCustomer[] = "resuming";

void AppendTo(const client::Client& client, const std::string& customer,
              const std::string& stream, int first, int count) {
  for (int n = first; n < first + count; ++n) {
    v1::AppendRequest request;
    request.set_customer(customer);
    v1::StreamWrite* write = request.add_writes();
    write->set_stream(stream);
    v1::ProposedEvent* event = write->add_events();
    event->set_id(TestUuid(0x5e, static_cast<uint64_t>(n)));
    event->set_type("Numbered");
    event->set_data(absl::StrCat("{\"n\":", n, "}"));
    REQUIRE(client.Append(request).ok());
  }
}

// The next item that is not a heartbeat, within 10 s.
client::SubscriptionItem NextNonHeartbeat(
    client::ResumingSubscription& subscription) {
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline) {
    absl::StatusOr<client::SubscriptionItem> item =
        subscription.Next(absl::Seconds(1));
    if (!item.ok() && absl::IsDeadlineExceeded(item.status())) continue;
    INFO(item.status().ToString());
    REQUIRE(item.ok());
    if (item->kind != client::SubscriptionItem::Kind::kHeartbeat) return *item;
  }
  FAIL("no item within 10 s");
  return {};
}

// The first error Next() returns within 10 s (DEADLINE_EXCEEDED aside).
absl::Status FirstError(client::ResumingSubscription& subscription) {
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline) {
    absl::StatusOr<client::SubscriptionItem> item =
        subscription.Next(absl::Milliseconds(500));
    if (!item.ok() && !absl::IsDeadlineExceeded(item.status())) {
      return item.status();
    }
  }
  return absl::OkStatus();
}

TEST_CASE("resuming subscription surfaces permanent errors at once") {
  EvstoredProcess server(EvstoredProcessOptions::ExplicitCustomers());
  std::unique_ptr<client::Client> admin = server.Connect();

  client::ResumingSubscriptionOptions options;
  options.customer = "never-created";
  std::unique_ptr<client::ResumingSubscription> missing =
      admin->SubscribeResuming(options);
  CHECK(absl::IsNotFound(FirstError(*missing)));
  // Permanent: every later call returns it again.
  CHECK(absl::IsNotFound(missing->Next(absl::ZeroDuration()).status()));
  CHECK(missing->reconnects() == 0);

  absl::StatusOr<std::unique_ptr<client::Client>> stranger =
      client::Client::Connect(
          {.address = server.address(), .token = "evs_not_a_real_token"});
  REQUIRE(stranger.ok());
  options.customer = kCustomer;
  std::unique_ptr<client::ResumingSubscription> unauthenticated =
      (*stranger)->SubscribeResuming(options);
  CHECK(absl::IsUnauthenticated(FirstError(*unauthenticated)));

  options.auto_commit.enabled = true;  // Without a checkpoint name.
  std::unique_ptr<client::ResumingSubscription> invalid =
      admin->SubscribeResuming(options);
  CHECK(absl::IsInvalidArgument(invalid->Next(absl::Seconds(1)).status()));
}

TEST_CASE(
    "resuming subscription from the end keeps its anchor across a crash") {
  EvstoredProcess server(FixedPortServer());
  std::unique_ptr<client::Client> client = server.Connect();
  AppendTo(*client, kCustomer, "orders/a", 0, 5);

  client::ResumingSubscriptionOptions options;
  options.customer = kCustomer;
  options.start = client::SubscriptionStart::End();
  options.reconnect_max_backoff = absl::Milliseconds(300);
  std::unique_ptr<client::ResumingSubscription> subscription =
      client->SubscribeResuming(options);
  const client::SubscriptionItem caught_up = NextNonHeartbeat(*subscription);
  REQUIRE(caught_up.kind == client::SubscriptionItem::Kind::kCaughtUp);
  CHECK(caught_up.position == 5);

  server.Kill();
  server.Start();
  // Appended before the subscription reconnects: must not be skipped (a new
  // start at the end would skip them).
  std::unique_ptr<client::Client> writer = server.Connect();
  AppendTo(*writer, kCustomer, "orders/a", 5, 3);
  std::vector<uint64_t> positions;
  while (positions.size() < 3) {
    const client::SubscriptionItem item = NextNonHeartbeat(*subscription);
    if (item.kind == client::SubscriptionItem::Kind::kEvent) {
      positions.push_back(item.position);
    }
  }
  CHECK(positions == std::vector<uint64_t>{6, 7, 8});
  CHECK(subscription->reconnects() >= 1);
}

TEST_CASE("explicit acks bound what auto-commit commits") {
  EvstoredProcess server;
  std::unique_ptr<client::Client> client = server.Connect();
  AppendTo(*client, kCustomer, "orders/a", 0, 10);

  client::ResumingSubscriptionOptions options;
  options.customer = kCustomer;
  options.checkpoint = "acked";
  options.start = client::SubscriptionStart::FromCheckpoint();
  options.ack_mode = client::AckMode::kExplicit;
  options.auto_commit = {
      .enabled = true, .every_events = 1, .every = absl::Milliseconds(10)};
  std::unique_ptr<client::ResumingSubscription> subscription =
      client->SubscribeResuming(options);
  for (int i = 0; i < 10; ++i) {
    REQUIRE(NextNonHeartbeat(*subscription).kind ==
            client::SubscriptionItem::Kind::kEvent);
  }
  subscription->Ack(4);
  REQUIRE(subscription->Close().ok());
  CHECK(subscription->committed_position() == 4);

  v1::GetCheckpointRequest get;
  get.set_customer(kCustomer);
  get.set_name("acked");
  absl::StatusOr<v1::GetCheckpointResponse> stored = client->GetCheckpoint(get);
  REQUIRE(stored.ok());
  CHECK(stored->checkpoint().position() == 4);

  // The next consumer starts after 4.
  options.ack_mode = client::AckMode::kOnNext;
  std::unique_ptr<client::ResumingSubscription> next =
      client->SubscribeResuming(options);
  CHECK(NextNonHeartbeat(*next).position == 5);
}

TEST_CASE("heartbeats move the checkpoint of a sparse selection") {
  EvstoredProcess server;
  std::unique_ptr<client::Client> client = server.Connect();
  AppendTo(*client, kCustomer, "orders/a", 0, 2);
  AppendTo(*client, kCustomer, "other/b", 2, 6);

  client::ResumingSubscriptionOptions options;
  options.customer = kCustomer;
  options.checkpoint = "sparse";
  options.start = client::SubscriptionStart::FromCheckpoint();
  options.stream_prefixes = {"orders/"};
  options.heartbeat_interval_ms = 100;
  options.auto_commit = {.enabled = true, .every = absl::Milliseconds(50)};
  std::unique_ptr<client::ResumingSubscription> subscription =
      client->SubscribeResuming(options);
  CHECK(NextNonHeartbeat(*subscription).position == 1);
  CHECK(NextNonHeartbeat(*subscription).position == 2);
  const client::SubscriptionItem caught_up = NextNonHeartbeat(*subscription);
  REQUIRE(caught_up.kind == client::SubscriptionItem::Kind::kCaughtUp);
  CHECK(caught_up.position == 8);
  // Nothing matching lies between 2 and 8: processed (and committed) to 8.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (subscription->committed_position() < 8 && absl::Now() < deadline) {
    (void)subscription->Next(absl::Milliseconds(100));
  }
  CHECK(subscription->committed_position() == 8);
}

}  // namespace
}  // namespace evstore::testing
