// FeedChecker: consumes one unfiltered subscription and checks that it
// delivers the customer's feed complete and in order (positions start + 1,
// start + 2, ... without gap or duplicate), optionally measuring the delivery
// latency of each event from the send time its producer wrote into it.
#ifndef EVSTORE_BENCH_FEED_CHECKER_H_
#define EVSTORE_BENCH_FEED_CHECKER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "client/subscription.h"

namespace evstore::bench {

// The event payload carries its send time: a JSON object of exactly `bytes`
// bytes (at least 48) starting with {"sent_ns":<steady clock ns>,
std::string TimedPayload(std::int64_t sent_ns, std::size_t bytes);
// The steady clock in ns, as TimedPayload expects it.
std::int64_t SteadyNowNs();

// Not thread-safe: one thread drives a FeedChecker, except that
// SetTarget() may be called from any thread.
class FeedChecker {
 public:
  // Checks `subscription`, which was opened after position `start` of its
  // customer's feed.
  FeedChecker(std::unique_ptr<client::Subscription> subscription,
              std::uint64_t start, bool measure_latency);
  FeedChecker(const FeedChecker&) = delete;
  FeedChecker& operator=(const FeedChecker&) = delete;

  // The position through which Run() must receive (set it once known).
  void SetTarget(std::uint64_t target) { target_.store(target); }

  // Pulls messages until every event through the target has arrived (true),
  // or the stream ends, an event is out of order, or `timeout` passes
  // (false, error() says why). Without a target yet, keeps waiting.
  bool Run(absl::Duration timeout);
  // Pulls messages until the caught_up message has arrived (true at once if
  // it already has), checking any events on the way like Run() (false, with
  // error(), when one is out of order, the stream ends or `timeout` passes).
  bool AwaitCaughtUp(absl::Duration timeout);

  std::uint64_t last_position() const { return last_; }
  std::uint64_t events() const { return events_; }
  // Bytes of event data received.
  std::uint64_t data_bytes() const { return data_bytes_; }
  // SteadyNowNs() when the caught_up message arrived; 0 until then.
  std::int64_t caught_up_ns() const { return caught_up_ns_; }
  // Latency of each event in ns (when measured).
  std::vector<std::int64_t>& latencies_ns() { return latencies_ns_; }
  const std::string& error() const { return error_; }
  // Drops the subscription (cancels the stream).
  void Close() { subscription_.reset(); }

 private:
  // Pulls the next message (up to 100 ms) and checks and counts it. False
  // with error_ set when the stream ended or an event is out of order.
  bool PullOne();

  std::unique_ptr<client::Subscription> subscription_;
  const bool measure_latency_;
  std::atomic<std::uint64_t> target_{UINT64_MAX};
  std::uint64_t last_;
  std::uint64_t events_ = 0;
  std::uint64_t data_bytes_ = 0;
  std::int64_t caught_up_ns_ = 0;
  std::vector<std::int64_t> latencies_ns_;
  std::string error_;
};

}  // namespace evstore::bench

#endif  // EVSTORE_BENCH_FEED_CHECKER_H_
