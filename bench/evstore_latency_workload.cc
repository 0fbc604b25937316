#include "bench/evstore_latency_workload.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "bench/event_factory.h"
#include "bench/own_connection.h"
#include "bench/stamped_payload.h"
#include "client/append_session.h"
#include "client/subscription.h"

namespace evstore::bench {
namespace {

// Pulls `subscription`'s messages until `stop`, recording every event.
// Counts the subscriber in `caught_up` once it is live.
void Tail(client::Subscription& subscription, DeliveryLog& log,
          const std::atomic<bool>& stop, std::atomic<int>& caught_up,
          std::atomic<std::uint64_t>& failures) {
  while (!stop.load(std::memory_order_relaxed)) {
    absl::StatusOr<v1::SubscribeResponse> message =
        subscription.Next(absl::Milliseconds(100));
    if (!message.ok()) {
      if (absl::IsDeadlineExceeded(message.status())) continue;
      if (!stop.load()) failures.fetch_add(1);
      return;
    }
    if (message->has_caught_up()) caught_up.fetch_add(1);
    if (!message->has_events()) continue;
    for (const v1::RecordedEvent& event : message->events().events()) {
      if (std::optional<std::int64_t> sent = ParseSentNs(event.data())) {
        log.Record(*sent);
      } else {
        log.RecordUnstamped();
      }
    }
  }
}

}  // namespace

absl::StatusOr<RunResult> RunEvstoreLatencyWorkload(
    const client::Client& client, const RunConfig& config,
    const DriverOptions& driver) {
  RunWindow window;
  std::vector<std::unique_ptr<DeliveryLog>> logs;
  std::vector<DeliveryLog*> log_pointers;
  std::vector<std::unique_ptr<client::Subscription>> subscriptions;
  for (int s = 0; s < config.subscribers; ++s) {
    v1::SubscribeRequest request;
    request.set_customer(
        EventFactory::CustomerName(CustomerOfSubscriber(s, config.customers)));
    request.set_origin(v1::SUBSCRIBE_START_END);
    // Like the peers' subscribers: one connection each, none shared with
    // the producers.
    subscriptions.push_back(std::make_unique<client::Subscription>(
        OwnConnection(config.address), request, client::SubscriptionOptions{},
        config.token));
    logs.push_back(std::make_unique<DeliveryLog>(&window));
    log_pointers.push_back(logs.back().get());
  }
  std::atomic<bool> stop{false};
  std::atomic<int> caught_up{0};
  std::atomic<std::uint64_t> failures{0};
  std::vector<std::thread> tails;
  for (std::size_t s = 0; s < subscriptions.size(); ++s) {
    tails.emplace_back(Tail, std::ref(*subscriptions[s]), std::ref(*logs[s]),
                       std::cref(stop), std::ref(caught_up),
                       std::ref(failures));
  }
  auto stop_tails = [&] {
    stop.store(true);
    for (auto& subscription : subscriptions) subscription->Cancel();
    for (std::thread& tail : tails) tail.join();
  };
  // Events appended before a subscriber is live would not reach it.
  const absl::Time give_up = absl::Now() + absl::Seconds(60);
  while (caught_up.load() < config.subscribers && absl::Now() < give_up &&
         failures.load() == 0) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  if (caught_up.load() < config.subscribers) {
    stop_tails();
    return absl::UnavailableError(
        absl::StrCat(caught_up.load(), " of ", config.subscribers,
                     " subscribers went live; failures: ", failures.load()));
  }

  std::vector<std::unique_ptr<client::AppendSession>> sessions;
  if (config.transport == "session") {
    for (int s = 0; s < config.sessions; ++s) {
      sessions.push_back(client.OpenAppendSession());
    }
  }
  std::vector<Random> randoms;
  std::vector<std::string> payloads;
  std::random_device entropy;
  for (int p = 0; p < driver.producers; ++p) {
    randoms.emplace_back((static_cast<std::uint64_t>(entropy()) << 32) ^
                         entropy());
    payloads.push_back(StampedPayload(config.event_bytes, 68 + p, 0));
  }
  FixedRateOptions options;
  options.driver = driver;
  options.rate = config.rate;
  options.event_bytes = config.event_bytes;
  options.subscribers_per_customer =
      SubscribersPerCustomer(config.subscribers, config.customers);
  RunResult result = RunFixedRate(
      options, window, log_pointers, [&](int p, int customer) -> absl::Status {
        const auto index = static_cast<std::size_t>(p);
        Random& random = randoms[index];
        v1::AppendRequest request;
        request.set_customer(EventFactory::CustomerName(customer));
        v1::StreamWrite* write = request.add_writes();
        write->set_stream(EventFactory::StreamName(static_cast<int>(
            random.Below(static_cast<std::uint64_t>(config.streams)))));
        v1::ProposedEvent* event = write->add_events();
        event->set_id(RandomUuid(random));
        event->set_type("NominationResponseReceived");
        Restamp(payloads[index], MonotonicNowNs());
        event->set_data(payloads[index]);
        absl::StatusOr<v1::AppendResponse> response =
            sessions.empty() ? client.Append(request)
                             : sessions[index % sessions.size()]
                                   ->Append(std::move(request))
                                   .get();
        return response.status();
      });
  for (auto& session : sessions) {
    absl::Status closed = session->Close(absl::Seconds(30));
    if (!closed.ok() && result.errors++ == 0) {
      result.first_error =
          absl::StrCat("closing an append session: ", closed.ToString());
    }
  }
  stop_tails();
  if (failures.load() > 0 && result.errors++ == 0) {
    result.first_error =
        absl::StrCat(failures.load(), " subscriptions ended early");
  }
  return result;
}

}  // namespace evstore::bench
