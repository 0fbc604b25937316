#include "bench/idle_subscribers_workload.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/event_factory.h"
#include "bench/evstore_latency_workload.h"
#include "bench/measurement.h"
#include "bench/own_connection.h"
#include "client/subscription.h"

namespace evstore::bench {
namespace {

// An event type nobody appends: the filter of the "filtered" kind.
constexpr char kNeverAppendedType[] = "BenchNeverAppended";

// Samples a process's VmRSS on a thread of its own and keeps the highest.
class RssSampler {
 public:
  explicit RssSampler(int pid) : pid_(pid) {
    if (pid_ > 0) thread_ = std::thread([this] { Sample(); });
  }
  ~RssSampler() { Stop(); }
  RssSampler(const RssSampler&) = delete;
  RssSampler& operator=(const RssSampler&) = delete;

  // Stops sampling; returns the highest sample (0 without a pid).
  std::uint64_t Stop() {
    if (thread_.joinable()) {
      stop_.Notify();
      thread_.join();
    }
    return max_.load();
  }

 private:
  void Sample() {
    do {
      const std::uint64_t rss = ProcessRssBytes(pid_);
      if (rss > max_.load()) max_.store(rss);
    } while (!stop_.WaitForNotificationWithTimeout(absl::Milliseconds(100)));
  }

  const int pid_;
  absl::Notification stop_;
  std::atomic<std::uint64_t> max_{0};
  std::thread thread_;
};

// The idle subscriptions and the thread that drains them.
class IdleSubscriptions {
 public:
  explicit IdleSubscriptions(const RunConfig& config) {
    std::vector<std::shared_ptr<grpc::Channel>> channels;
    channels.reserve(static_cast<std::size_t>(config.idle_connections));
    for (int c = 0; c < config.idle_connections; ++c) {
      channels.push_back(OwnConnection(config.address));
    }
    const bool filtered = config.idle_kind == "filtered";
    subscriptions_.reserve(static_cast<std::size_t>(config.idle_subscriptions));
    for (int s = 0; s < config.idle_subscriptions; ++s) {
      v1::SubscribeRequest request;
      if (filtered) {
        request.set_customer(EventFactory::CustomerName(s % config.customers));
        request.add_event_types(kNeverAppendedType);
      } else {
        request.set_customer(absl::StrFormat("idle-%05d", s));
      }
      request.set_origin(v1::SUBSCRIBE_START_END);
      subscriptions_.push_back(std::make_unique<client::Subscription>(
          channels[static_cast<std::size_t>(s) % channels.size()], request,
          client::SubscriptionOptions{}, config.token));
    }
    ended_.assign(subscriptions_.size(), false);
    drainer_ = std::thread([this] { Drain(); });
  }

  ~IdleSubscriptions() {
    stop_.Notify();
    drainer_.join();
    // Cancel all before the destructors wait for each call to finish.
    for (auto& subscription : subscriptions_) subscription->Cancel();
    subscriptions_.clear();
  }

  IdleSubscriptions(const IdleSubscriptions&) = delete;
  IdleSubscriptions& operator=(const IdleSubscriptions&) = delete;

  // Waits until every subscription has caught up; false after `timeout` or
  // once one has ended.
  bool AwaitAllCaughtUp(absl::Duration timeout) const {
    const absl::Time give_up = absl::Now() + timeout;
    while (caught_up_.load() < subscriptions_.size()) {
      if (absl::Now() >= give_up || failures_.load() > 0) return false;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return true;
  }

  std::uint64_t caught_up() const { return caught_up_.load(); }
  std::uint64_t heartbeats() const { return heartbeats_.load(); }
  std::uint64_t events() const { return events_.load(); }
  std::uint64_t failures() const { return failures_.load(); }
  std::string first_failure() const {
    absl::MutexLock lock(&mu_);
    return first_failure_;
  }

 private:
  // Empties every subscription's queue every 200 ms (their heartbeats would
  // otherwise fill it and stop the reads).
  void Drain() {
    do {
      for (std::size_t s = 0; s < subscriptions_.size(); ++s) {
        if (ended_[s]) continue;
        while (true) {
          absl::StatusOr<v1::SubscribeResponse> message =
              subscriptions_[s]->Next(absl::ZeroDuration());
          if (!message.ok()) {
            if (!absl::IsDeadlineExceeded(message.status())) {
              ended_[s] = true;
              failures_.fetch_add(1);
              absl::MutexLock lock(&mu_);
              if (first_failure_.empty()) {
                first_failure_ = message.status().ToString();
              }
            }
            break;
          }
          if (message->has_caught_up()) caught_up_.fetch_add(1);
          if (message->has_heartbeat()) heartbeats_.fetch_add(1);
          if (message->has_events()) {
            events_.fetch_add(
                static_cast<std::uint64_t>(message->events().events_size()));
          }
        }
      }
    } while (!stop_.WaitForNotificationWithTimeout(absl::Milliseconds(200)));
  }

  std::vector<std::unique_ptr<client::Subscription>> subscriptions_;
  std::vector<bool> ended_;  // Used by the drainer only.
  std::atomic<std::uint64_t> caught_up_{0};
  std::atomic<std::uint64_t> heartbeats_{0};
  std::atomic<std::uint64_t> events_{0};
  std::atomic<std::uint64_t> failures_{0};
  mutable absl::Mutex mu_;
  std::string first_failure_ ABSL_GUARDED_BY(mu_);
  absl::Notification stop_;
  std::thread drainer_;
};

void AddError(RunResult& result, const std::string& message) {
  if (result.errors++ == 0) result.first_error = message;
}

}  // namespace

absl::StatusOr<RunResult> RunIdleSubscribersWorkload(
    const client::Client& client, const RunConfig& config,
    const DriverOptions& driver) {
  IdleFigures figures;
  figures.subscriptions = config.idle_subscriptions;
  figures.connections = config.idle_connections;
  figures.kind = config.idle_kind;
  figures.rss_before_bytes = ProcessRssBytes(driver.server_pid);
  RssSampler rss(driver.server_pid);

  const absl::Time opened = absl::Now();
  IdleSubscriptions idle(config);
  if (!idle.AwaitAllCaughtUp(absl::Seconds(120))) {
    return absl::UnavailableError(absl::StrCat(
        idle.caught_up(), " of ", config.idle_subscriptions,
        " idle subscriptions caught up within 120 s; ", idle.failures(),
        " ended (first: ", idle.first_failure(), ")"));
  }
  figures.open_s = absl::ToDoubleSeconds(absl::Now() - opened);
  figures.rss_idle_bytes = ProcessRssBytes(driver.server_pid);

  absl::StatusOr<RunResult> result =
      RunEvstoreLatencyWorkload(client, config, driver);
  figures.rss_max_bytes = rss.Stop();
  if (!result.ok()) return result.status();
  figures.heartbeats = idle.heartbeats();
  figures.unexpected_events = idle.events();
  figures.failures = idle.failures();
  if (figures.failures > 0) {
    AddError(*result, absl::StrCat(figures.failures,
                                   " idle subscriptions ended; first: ",
                                   idle.first_failure()));
  }
  if (figures.unexpected_events > 0) {
    AddError(*result, absl::StrCat("idle subscriptions received ",
                                   figures.unexpected_events, " events"));
  }
  result->idle = figures;
  return result;
}

}  // namespace evstore::bench
