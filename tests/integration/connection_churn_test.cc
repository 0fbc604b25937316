// Clients that connect and go away again, thousands of times: the server must
// close every connection it accepted (its descriptors return to the
// baseline), keep its memory bounded, and go on serving.
#include <grpcpp/client_context.h>

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/authorization.h"
#include "evstore/v1/evstore.grpc.pb.h"
#include "tests/integration/evstored_process.h"
#include "tests/integration/server_resources.h"
#include "tests/integration/subscribe_support.h"

namespace evstore::testing {
namespace {

const std::string kCustomer = "churn-energy";

// One cheap call on `channel`: a GetEvents of one existing position.
grpc::Status GetFirstEvent(const std::shared_ptr<grpc::Channel>& channel,
                           const std::string& token) {
  std::unique_ptr<v1::EventStoreService::Stub> stub =
      v1::EventStoreService::NewStub(channel);
  grpc::ClientContext context;
  client::AddAuthorization(token, context);
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
  v1::GetEventsRequest request;
  request.set_customer(kCustomer);
  request.add_positions(1);
  v1::GetEventsResponse response;
  grpc::Status status = stub->GetEvents(&context, request, &response);
  if (status.ok() && response.events_size() != 1) {
    return grpc::Status(grpc::StatusCode::INTERNAL, "event 1 missing");
  }
  return status;
}

TEST_CASE(
    "5000 connect and disconnect cycles leave no descriptors behind and the "
    "server serving") {
  EvstoredProcess server;
  const std::string token = server.AdminToken();
  FeedModel model;
  {
    std::unique_ptr<client::Client> writer = server.Connect();
    uint64_t seq = 0;
    AppendOrFail(*writer, model,
                 MakeAppend(kCustomer, {"meter/M1/readings"}, {"MeterRead"}, 1,
                            &seq, 100, 256));
  }
  // Warm up the server's threads and allocator with a few connections.
  for (int i = 0; i < 20; ++i)
    REQUIRE(GetFirstEvent(FreshChannel(server), token).ok());
  absl::SleepFor(absl::Seconds(1));  // Until the server has closed them too.
  const size_t fds_baseline = OpenFdCount(server.pid());
  const size_t rss_baseline = server.RssBytes();

  // Each fresh channel really is a connection of its own: 20 of them open
  // at once hold 20 more descriptors in the server.
  {
    std::vector<std::shared_ptr<grpc::Channel>> open;
    for (int i = 0; i < 20; ++i) {
      open.push_back(FreshChannel(server));
      REQUIRE(GetFirstEvent(open.back(), token).ok());
    }
    CHECK(OpenFdCount(server.pid()) >= fds_baseline + 20);
  }

  // Four in five cycles make one call; the fifth only connects (the HTTP/2
  // handshake completes) and drops the channel without a call.
  constexpr int kCycles = 5000;
  int calls = 0;
  int failed_calls = 0;
  int failed_connects = 0;
  PeakRssSampler sampler(server);
  const absl::Time start = absl::Now();
  for (int cycle = 0; cycle < kCycles; ++cycle) {
    std::shared_ptr<grpc::Channel> channel = FreshChannel(server);
    if (cycle % 5 == 4) {
      failed_connects += !channel->WaitForConnected(
          absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
    } else {
      ++calls;
      failed_calls += !GetFirstEvent(channel, token).ok();
    }
  }
  const absl::Duration churn_time = absl::Now() - start;
  const size_t fds_after_churn = OpenFdCount(server.pid());
  // Closing is asynchronous: give the server a moment to see every EOF.
  const size_t fds_settled =
      WaitForFdsAtMost(server, fds_baseline + 2, absl::Seconds(20));
  const size_t rss_peak = sampler.Stop();
  const size_t rss_after = server.RssBytes();

  WARN(kCycles << " cycles (" << calls << " with a call) in "
               << absl::FormatDuration(churn_time) << "; server fds baseline "
               << fds_baseline << ", right after " << fds_after_churn
               << ", settled " << fds_settled << "; RSS baseline "
               << rss_baseline / kMiB << " MiB, peak " << rss_peak / kMiB
               << " MiB, after " << rss_after / kMiB << " MiB");
  CHECK(failed_calls == 0);
  CHECK(failed_connects == 0);
  // A leaked connection (or call) per cycle would leave thousands behind.
  CHECK(fds_settled <= fds_baseline + 2);
  // Measured on the 2-core dev VM: +2 MiB (33.6 -> 35.5 MiB). A server that
  // kept ~4 KiB or more per connection would exceed this bound over 5,000
  // connections.
  if (MemoryBoundsApply()) {
    CHECK((static_cast<double>(rss_peak) - static_cast<double>(rss_baseline)) /
              kMiB <
          16.0);
  }
  RequireServes(server, model, kCustomer);
}

}  // namespace
}  // namespace evstore::testing
