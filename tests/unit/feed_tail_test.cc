#include "storage/feed_tail.h"

#include <atomic>
#include <catch2/catch.hpp>

using namespace evstore;

namespace {

std::vector<std::shared_ptr<const RecordedEvent>> Events(uint64_t first,
                                                         uint64_t count,
                                                         size_t bytes = 10) {
  std::vector<std::shared_ptr<const RecordedEvent>> events;
  for (uint64_t p = first; p < first + count; ++p) {
    auto e = std::make_shared<RecordedEvent>();
    e->position = FeedPosition(p);
    e->data = std::string(bytes, 'x');
    events.push_back(std::move(e));
  }
  return events;
}

struct CountingWaiter : TailWaiter {
  std::atomic<int> calls{0};
  void OnFeedAdvanced() override { ++calls; }
};

}  // namespace

TEST_CASE("the tail returns events after a position, in order, within limits") {
  FeedTail tail(FeedPosition(0), 100, 1 << 20);
  tail.Publish(Events(1, 10));
  REQUIRE(tail.head() == FeedPosition(10));
  std::vector<std::shared_ptr<const RecordedEvent>> out;
  REQUIRE(tail.ReadAfter(FeedPosition(3), 4, 1 << 20, &out) ==
          FeedTail::ReadOutcome::kOk);
  REQUIRE(out.size() == 4);
  REQUIRE(out.front()->position == FeedPosition(4));
  REQUIRE(out.back()->position == FeedPosition(7));
  out.clear();
  REQUIRE(tail.ReadAfter(FeedPosition(10), 4, 1 << 20, &out) ==
          FeedTail::ReadOutcome::kOk);
  REQUIRE(out.empty());
}

TEST_CASE("the tail evicts old events by count and by bytes and says so") {
  FeedTail tail(FeedPosition(0), 5, 1 << 20);
  tail.Publish(Events(1, 8));
  std::vector<std::shared_ptr<const RecordedEvent>> out;
  REQUIRE(tail.ReadAfter(FeedPosition(2), 10, 1 << 20, &out) ==
          FeedTail::ReadOutcome::kEvicted);
  REQUIRE(out.empty());
  REQUIRE(tail.ReadAfter(FeedPosition(3), 10, 1 << 20, &out) ==
          FeedTail::ReadOutcome::kOk);
  REQUIRE(out.size() == 5);

  FeedTail small(FeedPosition(0), 1000, 100);
  small.Publish(Events(1, 20, 30));  // 30 bytes each: at most 3 kept
  out.clear();
  REQUIRE(small.ReadAfter(FeedPosition(16), 10, 1 << 20, &out) ==
          FeedTail::ReadOutcome::kEvicted);
  REQUIRE(small.ReadAfter(FeedPosition(17), 10, 1 << 20, &out) ==
          FeedTail::ReadOutcome::kOk);
  REQUIRE(out.size() == 3);
}

TEST_CASE("a tail that starts at a recovered head serves from there") {
  FeedTail tail(FeedPosition(500), 10, 1 << 20);
  std::vector<std::shared_ptr<const RecordedEvent>> out;
  REQUIRE(tail.ReadAfter(FeedPosition(400), 10, 1 << 20, &out) ==
          FeedTail::ReadOutcome::kEvicted);
  REQUIRE(tail.ReadAfter(FeedPosition(500), 10, 1 << 20, &out) ==
          FeedTail::ReadOutcome::kOk);
  tail.Publish(Events(501, 2));
  REQUIRE(tail.ReadAfter(FeedPosition(500), 10, 1 << 20, &out) ==
          FeedTail::ReadOutcome::kOk);
  REQUIRE(out.size() == 2);
}

TEST_CASE("waiters are told once, and not when events are already there") {
  FeedTail tail(FeedPosition(0), 10, 1 << 20);
  auto waiter = std::make_shared<CountingWaiter>();
  REQUIRE_FALSE(tail.AwaitAfter(FeedPosition(0), waiter));
  tail.Publish(Events(1, 1));
  REQUIRE(waiter->calls == 1);
  tail.Publish(Events(2, 1));
  REQUIRE(waiter->calls == 1);  // one registration, one call
  REQUIRE(tail.AwaitAfter(FeedPosition(1), waiter));  // 2 is there already
  REQUIRE(waiter->calls == 1);
}

TEST_CASE("closing wakes waiters and destroyed waiters are skipped") {
  FeedTail tail(FeedPosition(0), 10, 1 << 20);
  auto waiter = std::make_shared<CountingWaiter>();
  REQUIRE_FALSE(tail.AwaitAfter(FeedPosition(0), waiter));
  for (int i = 0; i < 1000; ++i) {
    auto gone = std::make_shared<CountingWaiter>();
    REQUIRE_FALSE(tail.AwaitAfter(FeedPosition(0), gone));
  }
  tail.Close();
  REQUIRE(waiter->calls == 1);
  REQUIRE(tail.closed());
  REQUIRE(tail.close_reason() == FeedTail::CloseReason::kLogClosing);
  REQUIRE(tail.AwaitAfter(FeedPosition(0), waiter));
}

TEST_CASE("a tail keeps the reason it was first closed for") {
  FeedTail tail(FeedPosition(0), 10, 1 << 20);
  auto waiter = std::make_shared<CountingWaiter>();
  REQUIRE_FALSE(tail.AwaitAfter(FeedPosition(0), waiter));
  tail.Close(FeedTail::CloseReason::kCustomerDeleted);
  REQUIRE(waiter->calls == 1);
  // The log closing later does not make a deleted customer's subscribers
  // think the server is shutting down.
  tail.Close();
  REQUIRE(tail.close_reason() == FeedTail::CloseReason::kCustomerDeleted);
}
