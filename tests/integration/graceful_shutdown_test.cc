// SIGTERM under load: evstored stops within --shutdown_timeout, exits 0,
// ends subscriptions with UNAVAILABLE, and loses no acknowledged event.
#include <sys/wait.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "grpcpp/client_context.h"
#include "grpcpp/impl/rpc_method.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/sync_stream.h"
#include "tests/integration/append_load.h"
#include "tests/integration/evstored_process.h"
#include "tests/integration/test_events.h"

namespace evstore::testing {
namespace {

constexpr int kShutdownTimeoutSeconds = 20;

// grpc.health.v1.HealthCheckResponse.ServingStatus values.
constexpr int kServing = 1;
constexpr int kNotServing = 2;

// Watches grpc.health.v1.Health/Watch for the whole server ("") until the
// stream ends and returns every status it announced, in order. Hand-encoded
// (Debian installs no health proto): HealthCheckResponse{status = 1}.
std::vector<int> WatchHealthUntilEnd(const client::Client& client) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::minutes(3));
  const grpc::internal::RpcMethod method(
      "/grpc.health.v1.Health/Watch",
      grpc::internal::RpcMethod::SERVER_STREAMING);
  // HealthCheckRequest{} (zero bytes): the whole server.
  grpc::Slice empty_message{std::string()};
  const grpc::ByteBuffer request(&empty_message, 1);
  std::unique_ptr<grpc::ClientReader<grpc::ByteBuffer>> stream(
      grpc::internal::ClientReaderFactory<grpc::ByteBuffer>::Create(
          client.channel().get(), method, &context, request));
  std::vector<int> statuses;
  grpc::ByteBuffer response;
  while (stream->Read(&response)) {
    std::vector<grpc::Slice> slices;
    if (!response.Dump(&slices).ok()) break;
    std::string bytes;
    for (const grpc::Slice& part : slices) {
      bytes.append(reinterpret_cast<const char*>(part.begin()), part.size());
    }
    statuses.push_back(bytes.size() == 2 && bytes[0] == 0x08 ? bytes[1] : 0);
  }
  // Ends with an error once the server is gone; only the statuses matter.
  [[maybe_unused]] const grpc::Status ended = stream->Finish();
  return statuses;
}

TEST_CASE(
    "SIGTERM under append load keeps every acknowledged event and exits 0 "
    "within the shutdown timeout") {
  EvstoredProcess server(std::vector<std::string>{
      "--shutdown_timeout=" + std::to_string(kShutdownTimeoutSeconds) + "s"});

  // A subscriber of the whole feed: the shutdown must end it with
  // UNAVAILABLE (so that it reconnects elsewhere), not leave it hanging.
  std::unique_ptr<client::Client> subscriber_client = server.Connect();
  v1::SubscribeRequest subscribe;
  subscribe.set_customer(kOrsted);
  std::unique_ptr<client::Subscription> subscription =
      subscriber_client->Subscribe(subscribe);
  absl::Status subscription_end;
  std::thread subscriber([&] {
    const absl::Time give_up = absl::Now() + absl::Minutes(3);
    while (absl::Now() < give_up) {
      absl::StatusOr<v1::SubscribeResponse> next =
          subscription->Next(absl::Seconds(1));
      if (next.ok() || absl::IsDeadlineExceeded(next.status())) continue;
      subscription_end = next.status();
      return;
    }
    subscription_end = absl::DeadlineExceededError("subscription never ended");
  });

  AppendLoad load(AppendLoad::Options{}, [&] { return server.Connect(); });
  REQUIRE(load.WaitForAcked(600, absl::Seconds(60)));

  const auto stop_started = std::chrono::steady_clock::now();
  const int status = server.Stop();  // SIGTERM, then waits for the exit.
  const double stop_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                    stop_started)
          .count();
  load.Stop();
  subscriber.join();

  INFO("evstored log:\n" << server.LogText());
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  // The bound the flag promises (shutdown normally takes well under a
  // second; this is not a speed check).
  CHECK(stop_seconds < kShutdownTimeoutSeconds);
  CHECK(subscription_end.code() == absl::StatusCode::kUnavailable);
  // Every writer was stopped by the shutdown, not by something else:
  // UNAVAILABLE, or CANCELLED for a call cut off as the server closed its
  // connections (seen in about one run in three).
  for (const absl::Status& error : load.Errors()) {
    INFO("writer error: " << error);
    CHECK((error.code() == absl::StatusCode::kUnavailable ||
           error.code() == absl::StatusCode::kCancelled));
  }

  server.Start();
  std::unique_ptr<client::Client> client = server.Connect();
  const std::vector<std::vector<std::string>> acked = load.AckedIds();
  uint64_t acked_total = 0;
  for (size_t w = 0; w < acked.size(); ++w) {
    const std::vector<std::string> stored = IdsOf(ReadStream(
        *client, kOrsted, AppendLoad::StreamOf(static_cast<int>(w))));
    const absl::flat_hash_set<std::string> present(stored.begin(),
                                                   stored.end());
    size_t missing = 0;
    for (const std::string& id : acked[w]) missing += !present.contains(id);
    INFO("writer " << w << ": " << acked[w].size() << " acknowledged, "
                   << stored.size() << " stored");
    CHECK(missing == 0);
    // What was stored beyond the acknowledgements (committed, reply lost to
    // the shutdown) is at most the writer's appends in flight.
    CHECK(stored.size() >= acked[w].size());
    acked_total += acked[w].size();
  }
  // The feed is dense: positions 1..N with no gap left by the shutdown.
  const std::vector<v1::RecordedEvent> feed = ReadFeed(*client, kOrsted);
  CHECK(feed.size() >= acked_total);
  CHECK(PositionsOf(feed) == Sequence(1, feed.size()));
  std::printf(
      "graceful shutdown: %llu events acknowledged, %zu stored, "
      "stop took %.2f s\n",
      static_cast<unsigned long long>(acked_total), feed.size(), stop_seconds);
}

// gRPC's default health service never ends a Watch call by itself; evstored
// cancels such calls once its own calls have ended, so an open watcher sees
// NOT_SERVING and does not hold the shutdown until --shutdown_timeout (a
// long timeout here: waiting for it is the failure this test would catch;
// not a speed check).
TEST_CASE("a health watcher sees NOT_SERVING and does not hold the shutdown") {
  EvstoredProcess server(std::vector<std::string>{"--shutdown_timeout=120s"});
  std::unique_ptr<client::Client> health_client = server.Connect();
  std::vector<int> health_statuses;
  std::thread health_watcher(
      [&] { health_statuses = WatchHealthUntilEnd(*health_client); });
  // The first status arrives once the watch is established.
  auto client = server.Connect();
  MustAppend(*client, SingleWrite(kOrsted, kNominations, 1, 1, 1));
  absl::SleepFor(absl::Milliseconds(500));
  const auto stop_started = std::chrono::steady_clock::now();
  const int status = server.Stop();
  const double stop_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                    stop_started)
          .count();
  health_watcher.join();
  INFO("evstored log:\n" << server.LogText());
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(stop_seconds < 60);
  REQUIRE_FALSE(health_statuses.empty());
  CHECK(health_statuses.front() == kServing);
  CHECK(health_statuses.back() == kNotServing);
  std::printf("shutdown with an open health watch took %.2f s\n", stop_seconds);
}

}  // namespace
}  // namespace evstore::testing
