// FeedSubscriber: one live subscriber of one customer's feed across all kill
// cycles. Each cycle it subscribes again, after the last position it was
// delivered (after_position), and records every delivered (position, id).
// It checks on the fly that deliveries are exactly last+1, last+2, ...: any
// gap, repeat or reordering is a violation.
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

// Thread-safe. Start() and Join() alternate, from one controlling thread.
class FeedSubscriber {
 public:
  explicit FeedSubscriber(std::string customer);
  ~FeedSubscriber();
  FeedSubscriber(const FeedSubscriber&) = delete;
  FeedSubscriber& operator=(const FeedSubscriber&) = delete;

  // Subscribes through `client` (which must outlive Join()) after the last
  // delivered position, on a new thread.
  void Start(const client::Client& client);
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
  // How the current (or last) subscription ended; OK while it runs.
  absl::Status end_status() const;

 private:
  void Run(std::unique_ptr<client::Subscription> subscription);

  // Constant after construction.
  const std::string customer_;

  std::thread thread_;
  std::atomic<bool> stop_{false};

  mutable std::mutex mu_;
  std::condition_variable delivered_changed_;
  // guarded by mu_
  std::vector<std::string> delivered_;
  std::vector<std::string> violations_;
  uint64_t repeated_ = 0;
  absl::Status end_status_;
  bool running_ = false;
};

}  // namespace evstore::torture

#endif  // EVSTORE_TESTS_TORTURE_FEED_SUBSCRIBER_H_
