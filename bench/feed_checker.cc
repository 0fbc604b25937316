#include "bench/feed_checker.h"

#include <charconv>
#include <chrono>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace evstore::bench {
namespace {

constexpr char kSentPrefix[] = "{\"sent_ns\":";

// The send time from a TimedPayload, or -1.
std::int64_t SentNs(const std::string& data) {
  constexpr std::size_t kPrefix = sizeof kSentPrefix - 1;
  if (data.compare(0, kPrefix, kSentPrefix) != 0) return -1;
  std::int64_t ns = -1;
  std::from_chars(data.data() + kPrefix, data.data() + data.size(), ns);
  return ns;
}

}  // namespace

std::int64_t SteadyNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string TimedPayload(std::int64_t sent_ns, std::size_t bytes) {
  std::string text = absl::StrCat(kSentPrefix, sent_ns, ",\"pad\":\"");
  const std::size_t fixed = text.size() + 2;
  if (bytes > fixed) text.append(bytes - fixed, 'x');
  text += "\"}";
  return text;
}

FeedChecker::FeedChecker(std::unique_ptr<client::Subscription> subscription,
                         std::uint64_t start, bool measure_latency)
    : subscription_(std::move(subscription)),
      measure_latency_(measure_latency),
      last_(start) {}

bool FeedChecker::Run(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (last_ < target_.load()) {
    if (absl::Now() >= deadline) {
      error_ =
          absl::StrCat("timed out at position ", last_, " of ", target_.load());
      return false;
    }
    if (!PullOne()) return false;
  }
  return true;
}

bool FeedChecker::AwaitCaughtUp(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (caught_up_ns_ == 0) {
    if (absl::Now() >= deadline) {
      error_ =
          absl::StrCat("no caught_up within ", absl::FormatDuration(timeout),
                       " at position ", last_);
      return false;
    }
    if (!PullOne()) return false;
  }
  return true;
}

bool FeedChecker::PullOne() {
  absl::StatusOr<v1::SubscribeResponse> next =
      subscription_->Next(absl::Milliseconds(100));
  if (!next.ok()) {
    if (absl::IsDeadlineExceeded(next.status())) return true;
    error_ = absl::StrCat("stream ended at position ", last_, ": ",
                          next.status().ToString());
    return false;
  }
  if (next->has_caught_up() && caught_up_ns_ == 0) {
    caught_up_ns_ = SteadyNowNs();
  }
  if (!next->has_events()) return true;  // caught_up or heartbeat
  const std::int64_t received_ns = measure_latency_ ? SteadyNowNs() : 0;
  for (const v1::RecordedEvent& event : next->events().events()) {
    if (event.position() != last_ + 1) {
      error_ = absl::StrCat("expected position ", last_ + 1, ", got ",
                            event.position());
      return false;
    }
    last_ = event.position();
    ++events_;
    data_bytes_ += event.data().size();
    if (measure_latency_) {
      const std::int64_t sent_ns = SentNs(event.data());
      if (sent_ns > 0) latencies_ns_.push_back(received_ns - sent_ns);
    }
  }
  return true;
}

}  // namespace evstore::bench
