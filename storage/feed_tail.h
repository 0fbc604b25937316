// FeedTail: the live end of one customer's feed, held in memory so that live
// subscribers are served without touching the disk.
#ifndef EVSTORE_STORAGE_FEED_TAIL_H_
#define EVSTORE_STORAGE_FEED_TAIL_H_

#include <cstddef>
#include <deque>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "base/mutex.h"
#include "storage/records.h"
#include "storage/types.h"

namespace evstore {

// Told once that a feed moved past the position it waited on.
class TailWaiter {
 public:
  virtual ~TailWaiter() = default;

  // Called at most once per AwaitAfter registration, on the thread that
  // published new events (the commit thread) or the thread that closed the
  // tail, without any FeedTail lock held. It may call FeedTail methods, but
  // must return quickly: it must not block or read from disk (schedule that
  // work elsewhere).
  virtual void OnFeedAdvanced() = 0;
};

// The visible head of one customer's feed and a bounded ring of its most
// recent visible events.
//
// Every event published here is durable (or, with relaxed durability,
// written): a FeedTail never shows anything that a restart could lose.
// Thread-safe: all methods may be called concurrently from any thread.
class FeedTail {
 public:
  // Holds at most `max_events` events and, beyond the newest one, at most
  // `max_bytes` of event data; older events are evicted first.
  FeedTail(FeedPosition head, size_t max_events, size_t max_bytes);
  FeedTail(const FeedTail&) = delete;
  FeedTail& operator=(const FeedTail&) = delete;

  // The position of the newest visible event (0 for an empty feed).
  FeedPosition head() const;

  // Why a tail was closed.
  enum class CloseReason {
    kLogClosing,       // The event log is closing (server shutting down).
    kCustomerDeleted,  // The customer was deleted (EventLog::DeleteCustomer).
  };

  // True once the tail is closed; no further events will appear.
  bool closed() const;

  // Why the tail was closed (the first Close's reason); meaningful only once
  // closed() is true.
  CloseReason close_reason() const;

  enum class ReadOutcome {
    kOk,       // `out` got every held event after `after`, up to the limits.
    kEvicted,  // Position after+1 is no longer held: read it from disk.
  };

  // Appends to `out`, in feed order, the visible events with positions after
  // `after`, at most `max_events` of them and stopping after the event that
  // reaches `max_bytes` of data. Appends nothing when there are none.
  ReadOutcome ReadAfter(
      FeedPosition after, size_t max_events, size_t max_bytes,
      std::vector<std::shared_ptr<const RecordedEvent>>* out) const;

  // If events after `after` are visible (or the tail is closed), returns true
  // and registers nothing. Otherwise registers `waiter` to be told once when
  // that changes and returns false. A waiter that has been destroyed by then
  // is skipped.
  bool AwaitAfter(FeedPosition after, std::weak_ptr<TailWaiter> waiter);

  // Publishes events that just became durable. They must continue the feed
  // exactly: the first has position head()+1 and positions are consecutive.
  // Wakes the registered waiters. Called by the event log only.
  void Publish(std::vector<std::shared_ptr<const RecordedEvent>> events);

  // Evicts the held events at or below `position` (they were removed by
  // DeleteStream): readers of those positions are sent to disk.
  void EvictThrough(FeedPosition position);

  // Marks the tail closed for `reason` and wakes every waiter. Called by the
  // event log. Closing a closed tail changes nothing.
  void Close(CloseReason reason = CloseReason::kLogClosing);

 private:
  std::vector<std::weak_ptr<TailWaiter>> TakeWaitersLocked()
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  static void Wake(const std::vector<std::weak_ptr<TailWaiter>>& waiters);

  // Constant after construction.
  const size_t max_events_;
  const size_t max_bytes_;

  mutable Mutex mu_;
  FeedPosition head_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  CloseReason close_reason_ ABSL_GUARDED_BY(mu_) = CloseReason::kLogClosing;
  // Consecutive events ending at head_ (may be empty).
  std::deque<std::shared_ptr<const RecordedEvent>> ring_ ABSL_GUARDED_BY(mu_);
  size_t ring_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::weak_ptr<TailWaiter>> waiters_ ABSL_GUARDED_BY(mu_);
};

}  // namespace evstore

#endif  // EVSTORE_STORAGE_FEED_TAIL_H_
