// The two ways the benchmarks drive load, shared by every system they
// measure (evstore, Redis, PostgreSQL), so that all of them count and time
// the same way:
//
//   RunClosedLoop  W1/W2: each producer thread sends one append, waits for
//                  its acknowledgement, and repeats. Throughput counts the
//                  events acknowledged in the window; latency is send to
//                  acknowledgement.
//   RunFixedRate   W3: producer threads send single events at a fixed total
//                  rate, each stamped with its send time (stamped_payload.h),
//                  while live subscribers, run by the caller, record every
//                  delivery in their DeliveryLog. Latency is send to each
//                  subscriber's receipt.
//
// Both run `warmup_s` seconds unmeasured, then measure `duration_s` seconds,
// then stop the producers and wait for what is in flight. Every append must
// succeed: a producer stops at its first failure, and failures are counted in
// the result (with the first one's message).
#ifndef EVSTORE_BENCH_LOAD_DRIVER_H_
#define EVSTORE_BENCH_LOAD_DRIVER_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "bench/report.h"

namespace evstore::bench {

struct DriverOptions {
  int producers = 1;
  double warmup_s = 2;
  double duration_s = 10;
  // When positive, the server process whose CPU use is reported; with
  // `server_is_process_tree`, its direct children's CPU is added (the
  // backends of a PostgreSQL postmaster).
  int server_pid = 0;
  bool server_is_process_tree = false;
};

// What one acknowledged append contained.
struct AppendOutcome {
  int events = 0;
  std::size_t bytes = 0;  // Payload bytes.
};

// Sends one append for `producer` and waits for its acknowledgement. Called
// only from that producer's own thread, so per-producer state (a connection)
// needs no locking.
using ClosedLoopSend = std::function<absl::StatusOr<AppendOutcome>(int)>;

// Runs `options.producers` threads against `send` (see the file comment) and
// fills the result's counts, latency and CPU fields.
RunResult RunClosedLoop(const DriverOptions& options,
                        const ClosedLoopSend& send);

// The measured window of a fixed-rate run, in MonotonicNowNs() time. Set by
// RunFixedRate before the first event is sent; read by subscriber threads.
class RunWindow {
 public:
  void Set(std::int64_t warm_end_ns, std::int64_t end_ns);
  bool Contains(std::int64_t sent_ns) const;

 private:
  std::atomic<std::int64_t> warm_end_ns_{std::numeric_limits<int64_t>::max()};
  std::atomic<std::int64_t> end_ns_{std::numeric_limits<int64_t>::max()};
};

// The deliveries one subscriber received. Record() is called by the thread
// that runs the subscriber; RunFixedRate reads it from another thread.
class DeliveryLog {
 public:
  explicit DeliveryLog(const RunWindow* window) : window_(window) {}

  // Records the receipt, now, of an event stamped `sent_ns`.
  void Record(std::int64_t sent_ns);
  // Records a receipt whose payload had no stamp (counted as an error).
  void RecordUnstamped();

  std::uint64_t received() const {
    return received_.load(std::memory_order_acquire);
  }
  std::uint64_t unstamped() const {
    return unstamped_.load(std::memory_order_acquire);
  }
  // Moves the latencies (ns) of deliveries of events sent in the window
  // into `out`; later deliveries are not recorded any more.
  void TakeWindowLatencies(std::vector<std::int64_t>& out);

 private:
  const RunWindow* const window_;
  std::atomic<std::uint64_t> received_{0};
  std::atomic<std::uint64_t> unstamped_{0};
  absl::Mutex mu_;  // Uncontended but for the one read at the end.
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::int64_t> latencies_ns_ ABSL_GUARDED_BY(mu_);
};

struct FixedRateOptions {
  DriverOptions driver;
  double rate = 5000;           // Events per second, all producers together.
  std::size_t event_bytes = 0;  // Payload bytes per event (for the counts).
  // How many subscribers tail each customer's feed (index: customer). An
  // event to customer c must reach subscribers_per_customer[c] subscribers.
  std::vector<int> subscribers_per_customer;
  // How long to wait after the run for deliveries still missing.
  double drain_timeout_s = 30;
};

// Subscribers are spread round-robin over customers: subscriber s tails the
// feed of customer CustomerOfSubscriber(s); the counts per customer.
int CustomerOfSubscriber(int subscriber, int customers);
std::vector<int> SubscribersPerCustomer(int subscribers, int customers);

// Sends one event to `customer`'s feed, stamped with the current
// MonotonicNowNs(), and waits for its acknowledgement. Called only from
// `producer`'s own thread.
using FixedRateSend = std::function<absl::Status(int producer, int customer)>;

// Runs the producers (see the file comment) while the caller's subscribers,
// already live and caught up, record into `logs`. Sets `window` first.
// Counts as errors: failed sends, deliveries missing (or extra) after the
// drain, and payloads without a stamp.
RunResult RunFixedRate(const FixedRateOptions& options, RunWindow& window,
                       const std::vector<DeliveryLog*>& logs,
                       const FixedRateSend& send);

}  // namespace evstore::bench

#endif  // EVSTORE_BENCH_LOAD_DRIVER_H_
