// HousekeepingTimer: one shared thread that ticks periodic work (subscription
// heartbeats), so that no subscription needs a thread or timer of its own.
#ifndef EVSTORE_SERVER_HOUSEKEEPING_TIMER_H_
#define EVSTORE_SERVER_HOUSEKEEPING_TIMER_H_

#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "base/mutex.h"

namespace evstore::server {

// Calls OnTick on every registered, still living client about every `period`,
// on the timer thread. Clients are held by weak_ptr: a client that is
// destroyed is dropped at the next tick, so there is no unregistration.
// Thread-safe.
class HousekeepingTimer {
 public:
  class Client {
   public:
    virtual ~Client() = default;
    // Must return quickly: it must not block (schedule work elsewhere).
    virtual void OnTick(absl::Time now) = 0;
  };

  explicit HousekeepingTimer(absl::Duration period);
  HousekeepingTimer(const HousekeepingTimer&) = delete;
  HousekeepingTimer& operator=(const HousekeepingTimer&) = delete;
  // Calls Stop().
  ~HousekeepingTimer();

  void Register(std::weak_ptr<Client> client);

  // Stops ticking and joins the thread. Must not be called from OnTick.
  // Idempotent.
  void Stop();

 private:
  void Run();

  // Constant after construction.
  const absl::Duration period_;

  Mutex mu_;
  std::vector<std::weak_ptr<Client>> clients_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;

  Mutex join_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  std::thread thread_ ABSL_GUARDED_BY(join_mu_);
};

}  // namespace evstore::server

#endif  // EVSTORE_SERVER_HOUSEKEEPING_TIMER_H_
