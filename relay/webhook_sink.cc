#include "relay/webhook_sink.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstddef>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "relay/backoff.h"
#include "relay/cloud_event.h"

namespace evstore::relay {
namespace {

// The longest one wait for transfers or backoffs lasts (bounds the reaction
// to `stop`).
constexpr absl::Duration kMaxPoll = absl::Milliseconds(100);

// The events of one stream in the batch, in feed order.
struct StreamQueue {
  // Indices into the batch, not yet settled.
  std::deque<std::size_t> pending;
  // Whether pending.front() is being sent.
  bool in_flight = false;
  // When pending.front() may be sent again (backoff).
  absl::Time ready_at = absl::InfinitePast();
};

// One event's delivery state.
struct EventState {
  std::string body;  // The CloudEvent, built when first sent.
  int attempts = 0;
  bool settled = false;
};

// A request in flight: which stream's front event it sends.
struct Transfer {
  std::size_t stream = 0;
  bool busy = false;
};

}  // namespace

absl::StatusOr<std::unique_ptr<WebhookSink>> WebhookSink::Create(
    WebhookSinkOptions options, const absl::Notification* stop) {
  if (options.url.empty()) {
    return absl::InvalidArgumentError("webhook sink without url");
  }
  if (options.dead_letter_file.empty()) {
    return absl::InvalidArgumentError("webhook sink without dead_letter_file");
  }
  if (options.max_concurrent_requests < 1) {
    return absl::InvalidArgumentError(
        "webhook sink needs max_concurrent_requests >= 1");
  }
  std::vector<std::unique_ptr<WebhookRequest>> requests;
  for (int i = 0; i < options.max_concurrent_requests; ++i) {
    absl::StatusOr<std::unique_ptr<WebhookRequest>> request =
        WebhookRequest::Create();
    if (!request.ok()) return request.status();
    requests.push_back(*std::move(request));
  }
  CURLM* multi = curl_multi_init();
  if (multi == nullptr) return absl::InternalError("curl_multi_init failed");
  curl_multi_setopt(
      multi, CURLMOPT_MAX_HOST_CONNECTIONS,
      static_cast<long>(options.max_concurrent_requests));  // NOLINT
  return std::unique_ptr<WebhookSink>(
      new WebhookSink(std::move(options), stop, multi, std::move(requests)));
}

WebhookSink::WebhookSink(WebhookSinkOptions options,
                         const absl::Notification* stop, CURLM* multi,
                         std::vector<std::unique_ptr<WebhookRequest>> requests)
    : options_(std::move(options)),
      target_{.url = options_.url,
              .secret = options_.secret,
              .timeout = options_.timeout},
      stop_(stop),
      dead_letters_(options_.dead_letter_file),
      multi_(multi),
      requests_(std::move(requests)) {}

WebhookSink::~WebhookSink() {
  // The requests are removed from the multi handle when Deliver() returns.
  curl_multi_cleanup(multi_);
}

absl::Status WebhookSink::Deliver(absl::Span<const v1::RecordedEvent> events,
                                  DeliveryReport& report) {
  const std::string& source = options_.source;
  std::vector<EventState> state(events.size());
  std::vector<StreamQueue> streams;
  absl::flat_hash_map<std::string_view, std::size_t> stream_index;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const auto [it, added] =
        stream_index.try_emplace(events[i].stream(), streams.size());
    if (added) streams.emplace_back();
    streams[it->second].pending.push_back(i);
  }
  std::vector<Transfer> transfers(requests_.size());
  std::size_t settled = 0;
  std::size_t in_flight = 0;

  // Removes every transfer from the multi handle and fills settled_prefix.
  const auto finish = [&](absl::Status status) {
    for (std::size_t t = 0; t < transfers.size(); ++t) {
      if (transfers[t].busy) {
        curl_multi_remove_handle(multi_, requests_[t]->handle());
      }
    }
    report.settled_prefix = 0;
    while (report.settled_prefix < state.size() &&
           state[report.settled_prefix].settled) {
      ++report.settled_prefix;
    }
    return status;
  };
  // Settles the front event of `stream`.
  const auto settle = [&](StreamQueue& stream) {
    state[stream.pending.front()].settled = true;
    stream.pending.pop_front();
    ++settled;
  };

  while (settled < events.size()) {
    if (stop_ != nullptr && stop_->HasBeenNotified()) {
      return finish(absl::CancelledError("relay stopping"));
    }
    // Start the front event of every stream that is ready, in the order the
    // streams first appear in the batch.
    const absl::Time now = absl::Now();
    for (std::size_t s = 0; s < streams.size(); ++s) {
      StreamQueue& stream = streams[s];
      if (stream.in_flight || stream.pending.empty()) continue;
      if (stream.ready_at > now || in_flight == transfers.size()) continue;
      std::size_t t = 0;
      while (transfers[t].busy) ++t;
      const std::size_t index = stream.pending.front();
      EventState& event = state[index];
      if (event.body.empty()) {
        event.body = StructuredJson(
            events[index],
            source.empty() ? DefaultSource(events[index].customer()) : source);
      }
      requests_[t]->Prepare(target_, event.body);
      curl_easy_setopt(requests_[t]->handle(), CURLOPT_PRIVATE,
                       reinterpret_cast<char*>(t));  // NOLINT: an index.
      curl_multi_add_handle(multi_, requests_[t]->handle());
      transfers[t] = {.stream = s, .busy = true};
      stream.in_flight = true;
      ++in_flight;
    }

    int running = 0;
    curl_multi_perform(multi_, &running);
    int queued = 0;
    while (CURLMsg* message = curl_multi_info_read(multi_, &queued)) {
      if (message->msg != CURLMSG_DONE) continue;
      char* tag = nullptr;
      curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &tag);
      const auto t = reinterpret_cast<std::size_t>(tag);  // NOLINT
      const WebhookAttempt attempt = requests_[t]->Finish(message->data.result);
      curl_multi_remove_handle(multi_, requests_[t]->handle());
      transfers[t].busy = false;
      --in_flight;
      StreamQueue& stream = streams[transfers[t].stream];
      stream.in_flight = false;
      const std::size_t index = stream.pending.front();
      EventState& event = state[index];
      ++event.attempts;
      if (attempt.delivered()) {
        ++report.delivered;
        settle(stream);
        continue;
      }
      if (attempt.retryable() && event.attempts < options_.max_attempts) {
        ++report.retries;
        stream.ready_at =
            absl::Now() + BackoffWithJitter(event.attempts,
                                            options_.initial_backoff,
                                            options_.max_backoff);
        continue;
      }
      if (absl::Status status = dead_letters_.Append(
              events[index], {.sink = options_.sink_name,
                              .attempts = event.attempts,
                              .last_error = attempt.error,
                              .cloud_event_json = event.body});
          !status.ok()) {
        return finish(status);
      }
      ++report.dead_lettered;
      settle(stream);
    }
    if (settled == events.size()) break;

    // Wait for a transfer to progress or the next backoff to end.
    const absl::Time after = absl::Now();
    absl::Time wake = after + kMaxPoll;
    for (const StreamQueue& stream : streams) {
      if (stream.in_flight || stream.pending.empty()) continue;
      if (stream.ready_at > after) {
        wake = std::min(wake, stream.ready_at);
      } else if (in_flight < transfers.size()) {
        wake = after;  // Can be sent right away.
      }
    }
    const absl::Duration wait =
        std::clamp(wake - after, absl::ZeroDuration(), kMaxPoll);
    const int wait_ms = static_cast<int>(absl::ToInt64Milliseconds(wait));
    if (in_flight > 0) {
      curl_multi_poll(multi_, nullptr, 0, wait_ms, nullptr);
    } else if (wait > absl::ZeroDuration()) {
      if (stop_ != nullptr) {
        stop_->WaitForNotificationWithTimeout(wait);
      } else {
        absl::SleepFor(wait);
      }
    }
  }
  return finish(absl::OkStatus());
}

}  // namespace evstore::relay
