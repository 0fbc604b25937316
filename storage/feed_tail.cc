#include "storage/feed_tail.h"

#include <cassert>
#include <utility>

namespace evstore {

FeedTail::FeedTail(FeedPosition head, size_t max_events, size_t max_bytes)
    : max_events_(max_events), max_bytes_(max_bytes), head_(head) {}

FeedPosition FeedTail::head() const {
  MutexLock lock(&mu_);
  return head_;
}

bool FeedTail::closed() const {
  MutexLock lock(&mu_);
  return closed_;
}

FeedTail::CloseReason FeedTail::close_reason() const {
  MutexLock lock(&mu_);
  return close_reason_;
}

FeedTail::ReadOutcome FeedTail::ReadAfter(
    FeedPosition after, size_t max_events, size_t max_bytes,
    std::vector<std::shared_ptr<const RecordedEvent>>* out) const {
  MutexLock lock(&mu_);
  if (after >= head_) return ReadOutcome::kOk;
  if (ring_.empty() || ring_.front()->position > after.Next()) {
    return ReadOutcome::kEvicted;
  }
  // The ring holds consecutive positions, so the wanted one is at an offset.
  size_t index = after.Next().value() - ring_.front()->position.value();
  size_t bytes = 0;
  size_t taken = 0;
  for (; index < ring_.size() && taken < max_events && bytes < max_bytes;
       ++index, ++taken) {
    bytes += ring_[index]->data.size();
    out->push_back(ring_[index]);
  }
  return ReadOutcome::kOk;
}

bool FeedTail::AwaitAfter(FeedPosition after,
                          std::weak_ptr<TailWaiter> waiter) {
  MutexLock lock(&mu_);
  if (head_ > after || closed_) return true;
  // Subscribers that left without being woken leave expired entries behind;
  // sweep them whenever the list doubles so it stays bounded on a quiet feed.
  if (waiters_.size() >= 64 && (waiters_.size() & (waiters_.size() - 1)) == 0) {
    std::erase_if(waiters_, [](const std::weak_ptr<TailWaiter>& w) {
      return w.expired();
    });
  }
  waiters_.push_back(std::move(waiter));
  return false;
}

void FeedTail::Publish(
    std::vector<std::shared_ptr<const RecordedEvent>> events) {
  if (events.empty()) return;
  std::vector<std::weak_ptr<TailWaiter>> to_wake;
  {
    MutexLock lock(&mu_);
    for (auto& event : events) {
      // Invariant: the ring and head continue the feed without gaps.
      assert(event->position == head_.Next());
      head_ = event->position;
      ring_bytes_ += event->data.size();
      ring_.push_back(std::move(event));
    }
    // Keep the newest event even if it alone exceeds max_bytes_.
    while (ring_.size() > 1 &&
           (ring_.size() > max_events_ || ring_bytes_ > max_bytes_)) {
      ring_bytes_ -= ring_.front()->data.size();
      ring_.pop_front();
    }
    to_wake = TakeWaitersLocked();
  }
  Wake(to_wake);
}

void FeedTail::EvictThrough(FeedPosition position) {
  MutexLock lock(&mu_);
  while (!ring_.empty() && ring_.front()->position <= position) {
    ring_bytes_ -= ring_.front()->data.size();
    ring_.pop_front();
  }
}

void FeedTail::Close(CloseReason reason) {
  std::vector<std::weak_ptr<TailWaiter>> to_wake;
  {
    MutexLock lock(&mu_);
    if (closed_) return;
    closed_ = true;
    close_reason_ = reason;
    to_wake = TakeWaitersLocked();
  }
  Wake(to_wake);
}

std::vector<std::weak_ptr<TailWaiter>> FeedTail::TakeWaitersLocked() {
  std::vector<std::weak_ptr<TailWaiter>> taken;
  taken.swap(waiters_);
  return taken;
}

void FeedTail::Wake(const std::vector<std::weak_ptr<TailWaiter>>& waiters) {
  for (auto& weak : waiters) {
    if (std::shared_ptr<TailWaiter> waiter = weak.lock()) {
      waiter->OnFeedAdvanced();
    }
  }
}

}  // namespace evstore
