#include "tests/torture/feed_subscriber.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace evstore::torture {

FeedSubscriber::FeedSubscriber(std::string customer)
    : customer_(std::move(customer)) {}

FeedSubscriber::~FeedSubscriber() { Join(); }

void FeedSubscriber::Start(const client::Client& client) {
  v1::SubscribeRequest request;
  request.set_customer(customer_);
  request.set_include_data(false);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (delivered_.empty()) {
      request.set_origin(v1::SUBSCRIBE_START_BEGINNING);
    } else {
      request.set_after_position(delivered_.size());
    }
    end_status_ = absl::OkStatus();
    running_ = true;
  }
  stop_ = false;
  thread_ = std::thread(&FeedSubscriber::Run, this, client.Subscribe(request));
}

void FeedSubscriber::Join() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void FeedSubscriber::Run(std::unique_ptr<client::Subscription> subscription) {
  absl::Status ended;
  while (!stop_.load()) {
    absl::StatusOr<v1::SubscribeResponse> message =
        subscription->Next(absl::Milliseconds(100));
    if (absl::IsDeadlineExceeded(message.status())) continue;
    if (!message.ok()) {
      ended = message.status();
      break;
    }
    if (!message->has_events()) continue;  // caught_up, heartbeat
    std::lock_guard<std::mutex> lock(mu_);
    for (const v1::RecordedEvent& event : message->events().events()) {
      const uint64_t expected = delivered_.size() + 1;
      if (event.position() == expected) {
        delivered_.push_back(event.id());
        continue;
      }
      if (event.position() < expected) ++repeated_;
      if (violations_.size() < 20) {
        violations_.push_back(absl::StrCat(
            "subscriber delivered position ", event.position(), " (id ",
            event.id(), ") when position ", expected, " was next"));
      }
    }
    delivered_changed_.notify_all();
  }
  subscription->Cancel();
  std::lock_guard<std::mutex> lock(mu_);
  end_status_ = ended.ok() ? absl::CancelledError("stopped") : ended;
  running_ = false;
  delivered_changed_.notify_all();
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

uint64_t FeedSubscriber::repeated_deliveries() const {
  std::lock_guard<std::mutex> lock(mu_);
  return repeated_;
}

absl::Status FeedSubscriber::end_status() const {
  std::lock_guard<std::mutex> lock(mu_);
  return end_status_;
}

}  // namespace evstore::torture
