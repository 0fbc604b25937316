#include "tests/torture/feed_subscriber.h"

#include <algorithm>
#include <random>
#include <utility>

#include "absl/strings/str_cat.h"

namespace evstore::torture {

FeedSubscriber::FeedSubscriber(std::string customer,
                               const SubscriberOptions& options)
    : customer_(std::move(customer)), options_(options) {}

FeedSubscriber::~FeedSubscriber() { Join(); }

void FeedSubscriber::Start(const client::Client& client, uint64_t seed) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    end_status_ = absl::OkStatus();
    running_ = true;
  }
  stop_ = false;
  thread_ = std::thread(&FeedSubscriber::Run, this, &client, seed);
}

void FeedSubscriber::Join() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

v1::SubscribeRequest FeedSubscriber::ResumeRequest() const {
  v1::SubscribeRequest request;
  request.set_customer(customer_);
  request.set_include_data(false);
  request.set_heartbeat_interval_ms(100);  // markers to check while idle
  std::lock_guard<std::mutex> lock(mu_);
  if (delivered_.empty()) {
    request.set_origin(v1::SUBSCRIBE_START_BEGINNING);
  } else {
    request.set_after_position(delivered_.size());
  }
  return request;
}

void FeedSubscriber::Run(const client::Client* client, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> reconnect_ms(
      options_.min_reconnect_ms,
      std::max(options_.min_reconnect_ms, options_.max_reconnect_ms));
  absl::Status ended;
  while (ended.ok() && !stop_.load()) {
    const absl::Time reconnect_at =
        options_.max_reconnect_ms > 0
            ? absl::Now() + absl::Milliseconds(reconnect_ms(rng))
            : absl::InfiniteFuture();
    std::unique_ptr<client::Subscription> subscription =
        client->Subscribe(ResumeRequest());
    ended = Consume(*subscription, reconnect_at);
    // Drops whatever the stream still had in flight: the next subscription
    // resumes after the last delivered position.
    subscription->Cancel();
    if (ended.ok() && !stop_.load()) {
      std::lock_guard<std::mutex> lock(mu_);
      ++reconnects_;
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  end_status_ = ended.ok() ? absl::CancelledError("stopped") : ended;
  running_ = false;
  delivered_changed_.notify_all();
}

absl::Status FeedSubscriber::Consume(client::Subscription& subscription,
                                     absl::Time reconnect_at) {
  bool caught_up_seen = false;
  while (!stop_.load() && absl::Now() < reconnect_at) {
    absl::StatusOr<v1::SubscribeResponse> message =
        subscription.Next(absl::Milliseconds(50));
    if (absl::IsDeadlineExceeded(message.status())) continue;
    if (!message.ok()) return message.status();
    std::lock_guard<std::mutex> lock(mu_);
    if (!message->has_events()) {
      CheckMarker(*message, caught_up_seen);
      continue;
    }
    for (const v1::RecordedEvent& event : message->events().events()) {
      const uint64_t expected = delivered_.size() + 1;
      if (event.position() == expected) {
        delivered_.push_back(event.id());
        continue;
      }
      if (event.position() < expected) ++repeated_;
      AddViolation(absl::StrCat("SUBSCRIBER ORDER: delivered position ",
                                event.position(), " (id ", event.id(),
                                ") when position ", expected, " was next"));
    }
    delivered_changed_.notify_all();
  }
  return absl::OkStatus();
}

void FeedSubscriber::CheckMarker(const v1::SubscribeResponse& message,
                                 bool& caught_up_seen) {
  // Unfiltered: "every matching event up to and including this position has
  // been sent" must not claim an event this subscriber has not received.
  const bool caught_up = message.has_caught_up();
  if (caught_up && caught_up_seen) {
    AddViolation("SUBSCRIBER MARKER: a second caught_up on one subscription");
  }
  caught_up_seen = caught_up_seen || caught_up;
  const uint64_t position = caught_up ? message.caught_up().position()
                                      : message.heartbeat().position();
  if (position > delivered_.size()) {
    AddViolation(absl::StrCat(
        "SUBSCRIBER MARKER: ", caught_up ? "caught_up" : "heartbeat",
        " claims position ", position, " was sent, but only ",
        delivered_.size(), " were delivered"));
  }
}

void FeedSubscriber::AddViolation(std::string text) {
  if (violations_.size() < 20) violations_.push_back(std::move(text));
}

bool FeedSubscriber::WaitForPosition(uint64_t position,
                                     absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return delivered_changed_.wait_for(
             lock, absl::ToChronoMilliseconds(timeout),
             [&] { return delivered_.size() >= position || !running_; }) &&
         delivered_.size() >= position;
}

std::vector<std::string> FeedSubscriber::delivered() const {
  std::lock_guard<std::mutex> lock(mu_);
  return delivered_;
}

uint64_t FeedSubscriber::last_position() const {
  std::lock_guard<std::mutex> lock(mu_);
  return delivered_.size();
}

std::vector<std::string> FeedSubscriber::violations() const {
  std::lock_guard<std::mutex> lock(mu_);
  return violations_;
}

uint64_t FeedSubscriber::reconnects() const {
  std::lock_guard<std::mutex> lock(mu_);
  return reconnects_;
}

uint64_t FeedSubscriber::repeated_deliveries() const {
  std::lock_guard<std::mutex> lock(mu_);
  return repeated_;
}

absl::Status FeedSubscriber::end_status() const {
  std::lock_guard<std::mutex> lock(mu_);
  return end_status_;
}

}  // namespace evstore::torture
