// WebhookReceiver: a small HTTP/1.1 server on 127.0.0.1 for the webhook
// sink's tests. It serves each connection on its own thread (keep-alive,
// one request after another per connection), answers every POST as a policy
// decides (a status, after an optional delay) and records what it received.
#ifndef EVSTORE_TESTS_RELAY_WEBHOOK_RECEIVER_H_
#define EVSTORE_TESTS_RELAY_WEBHOOK_RECEIVER_H_

#include <atomic>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "base/mutex.h"

namespace evstore::testing {

struct ReceivedRequest {
  std::string method;
  std::string path;
  // Header names in lowercase.
  std::map<std::string, std::string> headers;
  std::string body;
  // The status the receiver answered with.
  int status = 0;
};

struct ReceiverReply {
  int status = 200;
  absl::Duration delay = absl::ZeroDuration();
};

// Whether `request` carries a valid X-Evstore-Timestamp and
// X-Evstore-Signature for its body under `secret` (relay/webhook_signature.h).
bool SignatureVerifies(const ReceivedRequest& request,
                       const std::string& secret);

class WebhookReceiver {
 public:
  // `policy` decides the reply to each request. It is called on the
  // connections' threads, so concurrently when the client opens several
  // connections: it must be thread-safe.
  explicit WebhookReceiver(
      std::function<ReceiverReply(const ReceivedRequest&)> policy);
  // Stops serving and joins the thread.
  ~WebhookReceiver();
  WebhookReceiver(const WebhookReceiver&) = delete;
  WebhookReceiver& operator=(const WebhookReceiver&) = delete;

  // "http://127.0.0.1:<port>/hook".
  std::string url() const;
  // Every request so far, in the order they were answered (after the
  // policy's delay). Thread-safe.
  std::vector<ReceivedRequest> requests() const;

 private:
  void Serve();
  // Serves requests on one connection until the client closes it.
  void ServeConnection(int fd);

  const std::function<ReceiverReply(const ReceivedRequest&)> policy_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  mutable Mutex mu_;
  std::vector<ReceivedRequest> requests_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
  // One per accepted connection; touched by thread_ only, joined after it.
  std::vector<std::thread> connections_;
};

}  // namespace evstore::testing

#endif  // EVSTORE_TESTS_RELAY_WEBHOOK_RECEIVER_H_
