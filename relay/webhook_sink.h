// WebhookSink: POSTs each event as a CloudEvents 1.0 structured JSON body
// to a customer's URL, signed (relay/webhook_signature.h), retried with
// exponential backoff and jitter, dead-lettered after max_attempts
// (docs/relay.md, "Webhook sink").
//
// Streams are delivered in parallel (up to max_concurrent_requests requests
// at once), each stream strictly in order: the next event of a stream is
// sent only once the previous one is confirmed or dead-lettered, so a stream
// whose receiver fails waits in backoff without holding the other streams.
#ifndef EVSTORE_RELAY_WEBHOOK_SINK_H_
#define EVSTORE_RELAY_WEBHOOK_SINK_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "relay/dead_letter_file.h"
#include "relay/sink.h"
#include "relay/webhook_request.h"

namespace evstore::relay {

struct WebhookSinkOptions {
  std::string sink_name = {};
  std::string url = {};
  // The CloudEvents source; empty: DefaultSource(customer).
  std::string source = {};
  // The HMAC-SHA256 key (resolved secret).
  std::string secret = {};
  int max_attempts = 8;
  absl::Duration initial_backoff = absl::Milliseconds(200);
  absl::Duration max_backoff = absl::Seconds(30);
  absl::Duration timeout = absl::Seconds(10);
  // Requests in flight at once (to different streams); 1 sends one event at
  // a time in feed order.
  int max_concurrent_requests = 8;
  std::string dead_letter_file = {};
};

class WebhookSink final : public Sink {
 public:
  // `stop` (may be null) cuts transfers and backoff waits short: Deliver()
  // then returns CANCELLED. libcurl must have been initialized
  // (curl_global_init).
  static absl::StatusOr<std::unique_ptr<WebhookSink>> Create(
      WebhookSinkOptions options, const absl::Notification* stop);
  ~WebhookSink() override;
  WebhookSink(const WebhookSink&) = delete;
  WebhookSink& operator=(const WebhookSink&) = delete;

  // Delivers every event until it is confirmed (2xx) or dead-lettered,
  // streams in parallel and each stream in feed order. Errors: CANCELLED
  // (stop), or the dead-letter file could not be written; `report` then
  // says which leading events are settled.
  absl::Status Deliver(absl::Span<const v1::RecordedEvent> events,
                       DeliveryReport& report) override;

 private:
  WebhookSink(WebhookSinkOptions options, const absl::Notification* stop,
              CURLM* multi,
              std::vector<std::unique_ptr<WebhookRequest>> requests);

  const WebhookSinkOptions options_;
  const WebhookTarget target_;
  const absl::Notification* const stop_;
  const DeadLetterFile dead_letters_;
  // Runs the requests; it keeps connections alive between them.
  CURLM* const multi_;
  // max_concurrent_requests reusable requests.
  const std::vector<std::unique_ptr<WebhookRequest>> requests_;
};

}  // namespace evstore::relay

#endif  // EVSTORE_RELAY_WEBHOOK_SINK_H_
