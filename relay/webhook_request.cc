#include "relay/webhook_request.h"

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "relay/webhook_signature.h"

namespace evstore::relay {
namespace {

// Discards the response body.
size_t IgnoreBody(char* /*data*/, size_t size, size_t count, void* /*user*/) {
  return size * count;
}

}  // namespace

absl::StatusOr<std::unique_ptr<WebhookRequest>> WebhookRequest::Create() {
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return absl::InternalError("curl_easy_init failed");
  return std::unique_ptr<WebhookRequest>(new WebhookRequest(curl));
}

WebhookRequest::~WebhookRequest() {
  curl_slist_free_all(headers_);
  curl_easy_cleanup(curl_);
}

void WebhookRequest::Prepare(const WebhookTarget& target,
                             const std::string& body) {
  const std::int64_t timestamp = absl::ToUnixSeconds(absl::Now());
  const std::string timestamp_header =
      absl::StrCat(kTimestampHeader, ": ", timestamp);
  const std::string signature_header = absl::StrCat(
      kSignatureHeader, ": ", WebhookSignature(target.secret, timestamp, body));
  curl_slist_free_all(headers_);
  headers_ = nullptr;
  // curl_slist_append copies the strings.
  headers_ =
      curl_slist_append(headers_, "Content-Type: application/cloudevents+json");
  headers_ = curl_slist_append(headers_, timestamp_header.c_str());
  headers_ = curl_slist_append(headers_, signature_header.c_str());
  // No "Expect: 100-continue" round trip for large bodies.
  headers_ = curl_slist_append(headers_, "Expect:");

  curl_easy_reset(curl_);
  curl_easy_setopt(curl_, CURLOPT_URL, target.url.c_str());
  curl_easy_setopt(curl_, CURLOPT_POST, 1L);
  curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE_LARGE,
                   static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers_);
  curl_easy_setopt(
      curl_, CURLOPT_TIMEOUT_MS,
      static_cast<long>(absl::ToInt64Milliseconds(target.timeout)));  // NOLINT
  curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
  // Nothing but HTTP(S), whatever the URL says (redirects are not followed).
  curl_easy_setopt(curl_, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, &IgnoreBody);
}

WebhookAttempt WebhookRequest::Finish(CURLcode code) {
  WebhookAttempt attempt;
  if (code != CURLE_OK) {
    attempt.error = curl_easy_strerror(code);
    return attempt;
  }
  curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &attempt.http_status);
  if (!attempt.delivered()) {
    attempt.error = absl::StrCat("HTTP ", attempt.http_status);
  }
  return attempt;
}

}  // namespace evstore::relay
