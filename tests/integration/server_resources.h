// What a running evstored holds (open file descriptors, resident memory), and
// checks that it still serves, for the tests of hostile and broken clients
// (connection churn, abandoned calls, garbage on the port).
#ifndef EVSTORE_TESTS_INTEGRATION_SERVER_RESOURCES_H_
#define EVSTORE_TESTS_INTEGRATION_SERVER_RESOURCES_H_

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>
#include <sys/types.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <thread>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tests/integration/evstored_process.h"
#include "tests/integration/subscribe_support.h"

namespace evstore::testing {

inline constexpr double kMiB = 1024.0 * 1024.0;

// Whether the server's memory bounds apply: not in sanitizer builds
// (scripts/sanitize.sh sets EVSTORE_SANITIZER), where redzones, the
// quarantine of freed memory and shadow memory grow every allocation.
inline bool MemoryBoundsApply() {
  return std::getenv("EVSTORE_SANITIZER") == nullptr;
}

// The number of open file descriptors of process `pid` (entries of
// /proc/<pid>/fd), or 0 when unreadable.
inline size_t OpenFdCount(pid_t pid) {
  std::error_code ec;
  std::filesystem::directory_iterator it("/proc/" + std::to_string(pid) + "/fd",
                                         ec);
  if (ec) return 0;
  size_t count = 0;
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (ec) break;
    ++count;
  }
  return count;
}

// Polls until the server holds at most `limit` descriptors (closing a
// connection is asynchronous on both sides) or `timeout` passes. Returns the
// last count.
inline size_t WaitForFdsAtMost(const EvstoredProcess& server, size_t limit,
                               absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  size_t fds = OpenFdCount(server.pid());
  while (fds > limit && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(100));
    fds = OpenFdCount(server.pid());
  }
  return fds;
}

// A channel of its own: gRPC shares connections between channels with equal
// arguments through a process-wide subchannel pool, so without the local
// pool a "new" channel would reuse an existing TCP connection.
// `bandwidth_probe` false keeps every stream's receive window at HTTP/2's
// initial 64 KiB; with gRPC's default probing, a stream that is not read
// takes in several MiB on loopback before the sender blocks.
inline std::shared_ptr<grpc::Channel> FreshChannel(
    const EvstoredProcess& server, bool bandwidth_probe = true) {
  grpc::ChannelArguments arguments;
  arguments.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  arguments.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, bandwidth_probe ? 1 : 0);
  arguments.SetMaxReceiveMessageSize(64 << 20);
  arguments.SetMaxSendMessageSize(64 << 20);
  return grpc::CreateCustomChannel(
      server.address(), grpc::InsecureChannelCredentials(), arguments);
}

// Samples the server's RSS every 50 ms until stopped; keeps the maximum.
class PeakRssSampler {
 public:
  explicit PeakRssSampler(const EvstoredProcess& server) {
    thread_ = std::thread([this, &server] {
      while (!stop_.load()) {
        max_.store(std::max(max_.load(), server.RssBytes()));
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    });
  }
  ~PeakRssSampler() { Stop(); }
  PeakRssSampler(const PeakRssSampler&) = delete;
  PeakRssSampler& operator=(const PeakRssSampler&) = delete;
  // Stops sampling (idempotent) and returns the peak.
  size_t Stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
    return max_.load();
  }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<size_t> max_{0};
  std::thread thread_;
};

// Requires that the server still serves a new client completely: an append
// is acknowledged, a read returns the whole feed of `customer` as the model
// has it, and a new subscription delivers it and goes live.
inline void RequireServes(const EvstoredProcess& server, FeedModel& model,
                          const std::string& customer) {
  std::unique_ptr<client::Client> client = server.Connect();
  uint64_t seq = 0;
  AppendOrFail(*client, model,
               MakeAppend(customer, {"check/serving"}, {"ServingChecked"}, 99,
                          &seq, 10, 128));
  const uint64_t head = model.Head(customer);
  const std::vector<ModelEvent> feed = model.Feed(customer);
  REQUIRE(ReadFeed(*client, customer).size() == feed.size());
  std::unique_ptr<client::Subscription> subscription =
      client->Subscribe(SubscribeFrom(customer, 0));
  Received got;
  REQUIRE(PullUntil(*subscription, got, LiveThrough(head), absl::Seconds(30)));
  CheckDelivery(got, feed, Expectation().After(0).Through(head));
}

}  // namespace evstore::testing

#endif  // EVSTORE_TESTS_INTEGRATION_SERVER_RESOURCES_H_
