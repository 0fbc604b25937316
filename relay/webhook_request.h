// WebhookRequest: one reusable libcurl easy handle that POSTs a signed
// CloudEvents body (relay/webhook_signature.h). The webhook sink
// (relay/webhook_sink.h) runs several of them at once on a multi handle.
#ifndef EVSTORE_RELAY_WEBHOOK_REQUEST_H_
#define EVSTORE_RELAY_WEBHOOK_REQUEST_H_

#include <curl/curl.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace evstore::relay {

// The outcome of one HTTP attempt.
struct WebhookAttempt {
  // The HTTP status (0: no response).
  long http_status = 0;  // NOLINT(google-runtime-int): libcurl's type.
  // What failed, for logs and dead letters ("HTTP 503", libcurl's text).
  std::string error = {};
  bool delivered() const { return http_status >= 200 && http_status < 300; }
  // Transport errors, timeouts, 408, 429 and 5xx are worth retrying; other
  // statuses are the receiver refusing the event.
  bool retryable() const {
    return http_status == 0 || http_status == 408 || http_status == 429 ||
           http_status >= 500;
  }
};

// Where and how a webhook request is sent.
struct WebhookTarget {
  std::string url = {};
  // The HMAC-SHA256 key.
  std::string secret = {};
  absl::Duration timeout = absl::Seconds(10);
};

class WebhookRequest {
 public:
  static absl::StatusOr<std::unique_ptr<WebhookRequest>> Create();
  ~WebhookRequest();
  WebhookRequest(const WebhookRequest&) = delete;
  WebhookRequest& operator=(const WebhookRequest&) = delete;

  // Sets the handle up for one POST of `body` to `target`, signed with the
  // current time. `body` and `target` must outlive the transfer.
  void Prepare(const WebhookTarget& target, const std::string& body);
  // The prepared handle, for curl_easy_perform or a multi handle.
  CURL* handle() const { return curl_; }
  // The outcome of the transfer that ended with `code`.
  WebhookAttempt Finish(CURLcode code);

 private:
  explicit WebhookRequest(CURL* curl) : curl_(curl) {}

  CURL* const curl_;
  // The request headers of the prepared transfer (owned).
  curl_slist* headers_ = nullptr;
};

}  // namespace evstore::relay

#endif  // EVSTORE_RELAY_WEBHOOK_REQUEST_H_
