// FeedSubscriber: one live subscriber of one customer's feed across all kill
// cycles. Each cycle it subscribes again, after the last position it was
// delivered (after_position), and records every delivered (position, id).
// Within a cycle it also drops its subscription at random moments and
// resumes the same way (a consumer reconnecting while the feed is live).
// It checks on the fly that deliveries are exactly last+1, last+2, ...: any
// gap, repeat or reordering is a violation, and so is a caught_up or
// heartbeat claiming a position that was not delivered.
#ifndef EVSTORE_TESTS_TORTURE_FEED_SUBSCRIBER_H_
#define EVSTORE_TESTS_TORTURE_FEED_SUBSCRIBER_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "client/evstore_client.h"

namespace evstore::torture {

struct SubscriberOptions {
  // Each subscription is cancelled and resumed after a random time in this
  // range; max_reconnect_ms 0 keeps one subscription per cycle.
  int min_reconnect_ms = 50;
  int max_reconnect_ms = 1000;
};

// Thread-safe. Start() and Join() alternate, from one controlling thread.
class FeedSubscriber {
 public:
  FeedSubscriber(std::string customer, const SubscriberOptions& options);
  ~FeedSubscriber();
  FeedSubscriber(const FeedSubscriber&) = delete;
  FeedSubscriber& operator=(const FeedSubscriber&) = delete;

  // Subscribes through `client` (which must outlive Join()) after the last
  // delivered position, on a new thread; `seed` drives the reconnects.
  void Start(const client::Client& client, uint64_t seed);
  // Ends the subscription (it has usually ended already because the server
  // was killed) and joins the thread.
  void Join();

  // Waits until `position` has been delivered. False on timeout or when the
  // subscription ended first.
  bool WaitForPosition(uint64_t position, absl::Duration timeout);

  // Delivered ids; index i holds the id delivered for position i + 1.
  std::vector<std::string> delivered() const;
  uint64_t last_position() const;
  // Deliveries that were not the next position, described.
  std::vector<std::string> violations() const;
  uint64_t repeated_deliveries() const;
  // Subscriptions dropped and resumed on purpose, over all cycles.
  uint64_t reconnects() const;
  // How the current (or last) subscription ended; OK while it runs.
  absl::Status end_status() const;

 private:
  void Run(const client::Client* client, uint64_t seed);
  // Records deliveries until `reconnect_at` (then returns OK), Join() (OK) or
  // the end of the stream (its status).
  absl::Status Consume(client::Subscription& subscription,
                       absl::Time reconnect_at);
  v1::SubscribeRequest ResumeRequest() const;
  // Checks a caught_up or heartbeat against the deliveries so far. Requires
  // mu_ held.
  void CheckMarker(const v1::SubscribeResponse& message, bool& caught_up_seen);
  // Requires mu_ held.
  void AddViolation(std::string text);

  // Constant after construction.
  const std::string customer_;
  const SubscriberOptions options_;

  std::thread thread_;
  std::atomic<bool> stop_{false};

  mutable std::mutex mu_;
  std::condition_variable delivered_changed_;
  // guarded by mu_
  std::vector<std::string> delivered_;
  std::vector<std::string> violations_;
  uint64_t repeated_ = 0;
  uint64_t reconnects_ = 0;
  absl::Status end_status_;
  bool running_ = false;
};

}  // namespace evstore::torture

#endif  // EVSTORE_TESTS_TORTURE_FEED_SUBSCRIBER_H_
