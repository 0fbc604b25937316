// RelayRunner: turns a RelayConfig into running delivery loops, one thread
// per (customer, sink), and stops them.
#ifndef EVSTORE_RELAY_RELAY_RUNNER_H_
#define EVSTORE_RELAY_RELAY_RUNNER_H_

#include <atomic>
#include <cstddef>
#include <memory>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "client/evstore_client.h"
#include "relay/delivery_loop.h"
#include "relay/relay_config.h"
#include "relay/relay_metrics.h"

namespace evstore::relay {

class RelayRunner {
 public:
  // Resolves the secrets, connects one client per customer and creates the
  // sinks. Errors name the customer and sink (never a secret's value).
  // Nothing runs yet. `metrics` must outlive the runner.
  static absl::StatusOr<std::unique_ptr<RelayRunner>> Create(
      const RelayConfig& config, RelayMetrics& metrics);
  // Stops and joins the loops (see Stop()).
  ~RelayRunner();
  RelayRunner(const RelayRunner&) = delete;
  RelayRunner& operator=(const RelayRunner&) = delete;

  // Starts one thread per delivery loop. Call once.
  void Start();
  // Asks every loop to stop (each commits what it acknowledged) and waits
  // for them. Idempotent. Returns the first loop error (a permanent feed
  // error or a failed final commit).
  absl::Status Stop();
  // Whether every loop has ended (by itself after a permanent error, or
  // after Stop()). Thread-safe.
  bool Finished() const { return running_ == 0; }

 private:
  RelayRunner() = default;

  absl::Notification stop_;
  std::vector<std::unique_ptr<client::Client>> clients_;
  std::vector<std::unique_ptr<DeliveryLoop>> loops_;
  std::vector<absl::Status> results_;
  std::vector<std::thread> threads_;
  std::atomic<std::size_t> running_{0};
  bool joined_ = false;
};

}  // namespace evstore::relay

#endif  // EVSTORE_RELAY_RELAY_RUNNER_H_
