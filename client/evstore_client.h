// The evstore C++ client: a thin, typed layer over the EventStoreService gRPC
// contract (proto/evstore/v1/evstore.proto). Requests and results are the
// generated evstore::v1 messages; the contract's documentation there says
// what every field means.
//
// Errors: every call reports failure as an absl::Status carrying the gRPC
// status code and message of the failed call (see the service's error model:
// INVALID_ARGUMENT, NOT_FOUND, FAILED_PRECONDITION, ALREADY_EXISTS,
// RESOURCE_EXHAUSTED, UNAVAILABLE), or DEADLINE_EXCEEDED when the call's
// deadline passed, or UNAVAILABLE when the server cannot be reached.
//
// Example:
//   absl::StatusOr<std::unique_ptr<evstore::client::Client>> client =
//       evstore::client::Client::Connect({.address = "127.0.0.1:50051"});
//   if (!client.ok()) return client.status();
//   evstore::v1::AppendRequest request;
//   request.set_customer("orsted-dk");
//   evstore::v1::StreamWrite* write = request.add_writes();
//   write->set_stream("contract/DS000068/nominations");
//   evstore::v1::ProposedEvent* event = write->add_events();
//   event->set_id("0f8fad5b-d9cb-469f-a165-70867728950e");
//   event->set_type("NominationResponseReceived");
//   event->set_data(R"({"contract":"DS000068","status":"16G"})");
//   absl::StatusOr<evstore::v1::AppendResponse> appended =
//       (*client)->Append(request);
#ifndef EVSTORE_CLIENT_EVSTORE_CLIENT_H_
#define EVSTORE_CLIENT_EVSTORE_CLIENT_H_

#include <grpcpp/channel.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/append_session.h"
#include "client/retry_policy.h"
#include "client/subscription.h"
#include "evstore/v1/evstore.grpc.pb.h"

namespace evstore::client {

// TLS for the connection to a server started with --tls_cert (see
// README.md, "TLS"). All files are PEM.
struct ClientTlsOptions {
  // The CA certificate(s) the server's certificate must be signed by; empty:
  // the system's default roots.
  std::string ca_file = {};
  // The client certificate (chain) and its private key, for a server that
  // requires client certificates (--tls_client_ca: mutual TLS). Both or
  // neither.
  std::string cert_file = {};
  std::string key_file = {};
  // The name the server's certificate must carry instead of the host of
  // `address` (e.g. when connecting by IP to a certificate for a DNS name);
  // empty: the host of `address`.
  std::string server_name = {};
};

struct ClientOptions {
  // The server address in gRPC target syntax, e.g. "127.0.0.1:50051" or
  // "dns:///evstore.example.net:50051".
  std::string address;
  // The deadline of each Append, Read and GetEvents call, measured from its
  // start. absl::InfiniteDuration() sets none. Subscriptions and append
  // sessions are long-lived and have no deadline.
  absl::Duration default_deadline = absl::Seconds(30);
  // When positive, Connect() waits up to this long for the connection to be
  // established and fails with UNAVAILABLE otherwise. When zero, Connect()
  // does not touch the network; the connection is made by the first call
  // (and re-made by gRPC after failures).
  absl::Duration connect_timeout = absl::ZeroDuration();
  // The largest message the client sends or accepts.
  std::size_t max_message_bytes = std::size_t{64} << 20;
  // The access token ("evs_..."), sent as `authorization: Bearer <token>`
  // metadata on every call; empty: none.
  std::string token = {};
  // nullopt: plaintext; otherwise TLS (see ClientTlsOptions).
  std::optional<ClientTlsOptions> tls = std::nullopt;
  // Retries of Append and of the idempotent checkpoint calls
  // (CommitCheckpoint, GetCheckpoint, ListCheckpoints) after transient
  // failures (see client/retry_policy.h). Off by default, so that callers
  // written before it see every failure as it happens; set
  // RetryPolicy::Standard() to ride out server restarts.
  RetryPolicy retry = RetryPolicy::None();
  // HTTP/2 keepalive: a ping after this long without activity finds a dead
  // connection (and keeps NATs open) even while a subscription is idle.
  // Pings are sent also when no call is open. The server accepts a ping
  // every 10 s at most. absl::InfiniteDuration() disables them.
  absl::Duration keepalive_time = absl::Seconds(30);
  // A connection whose ping is not answered within this is closed (calls on
  // it fail with UNAVAILABLE).
  absl::Duration keepalive_timeout = absl::Seconds(10);
  // The longest gRPC waits between attempts to re-establish a lost
  // connection (gRPC's default is 120 s, too long to notice a restarted
  // server quickly).
  absl::Duration max_reconnect_backoff = absl::Seconds(5);
};

// A connection to one evstore server.
//
// Thread-safety: a Client is safe for concurrent use by multiple threads
// without external synchronization; calls on it do not block each other. It
// connects in plaintext, or over TLS when `ClientOptions::tls` is set.
class ResumingSubscription;
struct ResumingSubscriptionOptions;

class Client {
 public:
  // Creates a client for `options.address` (see MakeChannel in
  // client/channel.h). Fails with INVALID_ARGUMENT for an empty address or
  // unusable TLS options (a file that cannot be read, names the file), and
  // with UNAVAILABLE when `connect_timeout` is positive and the server could
  // not be reached in that time (also when the TLS handshake fails).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Client>> Connect(
      const ClientOptions& options);

  // A client on an existing channel (e.g. another Client's channel()), with
  // `options` for deadlines, token and retries (address and TLS are the
  // channel's).
  [[nodiscard]] static std::unique_ptr<Client> FromChannel(
      const ClientOptions& options, std::shared_ptr<grpc::Channel> channel);

  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Appends atomically and returns the result once the events are durable.
  // Retrying a failed or timed-out append with the same event ids is safe: a
  // complete duplicate returns the original result with `duplicate` set.
  // With ClientOptions::retry, Append itself retries transient failures
  // (each attempt with the full deadline); a result after a retry may have
  // `duplicate` set because an earlier attempt was recorded. Events without
  // ids cannot be retried safely; the server requires ids anyway.
  [[nodiscard]] absl::StatusOr<v1::AppendResponse> Append(
      const v1::AppendRequest& request) const;

  // Reads the requested range and calls `on_event` for each event, in the
  // requested order, on the calling thread, as the batches arrive. When
  // `on_event` returns false, the read stops, the call is cancelled and Read
  // returns OK. Returns the call's error otherwise (events delivered before
  // the error stay delivered). The deadline covers the whole read.
  [[nodiscard]] absl::Status Read(
      const v1::ReadRequest& request,
      const std::function<bool(const v1::RecordedEvent&)>& on_event) const;

  // Reads the requested range into memory. Bounded by `max_count` of the
  // request.
  [[nodiscard]] absl::StatusOr<std::vector<v1::RecordedEvent>> ReadAll(
      const v1::ReadRequest& request) const;

  // Fetches events by id and/or position. Events that do not exist are not an
  // error: they are listed in `missing_ids` / `missing_positions`.
  [[nodiscard]] absl::StatusOr<v1::GetEventsResponse> GetEvents(
      const v1::GetEventsRequest& request) const;

  // Opens a subscription (see client/subscription.h). Never fails here: an
  // invalid request or an unreachable server is reported by the first
  // Subscription::Next() that has no message to return.
  [[nodiscard]] std::unique_ptr<Subscription> Subscribe(
      const v1::SubscribeRequest& request,
      const SubscriptionOptions& options = {}) const;

  // Opens a subscription that reconnects and resumes by itself, with
  // optional auto-commit of a checkpoint (see
  // client/resuming_subscription.h).
  [[nodiscard]] std::unique_ptr<ResumingSubscription> SubscribeResuming(
      const ResumingSubscriptionOptions& options) const;

  // Checkpoints (named consumer positions stored by the server; see
  // EventStoreService.CommitCheckpoint). CommitCheckpoint, GetCheckpoint and
  // ListCheckpoints retry as ClientOptions::retry says.
  [[nodiscard]] absl::StatusOr<v1::CommitCheckpointResponse> CommitCheckpoint(
      const v1::CommitCheckpointRequest& request) const;
  // NOT_FOUND when the checkpoint was never committed (or was deleted).
  [[nodiscard]] absl::StatusOr<v1::GetCheckpointResponse> GetCheckpoint(
      const v1::GetCheckpointRequest& request) const;
  // One page; pass next_page_token back as page_token for the next one.
  [[nodiscard]] absl::StatusOr<v1::ListCheckpointsResponse> ListCheckpoints(
      const v1::ListCheckpointsRequest& request) const;
  [[nodiscard]] absl::StatusOr<v1::DeleteCheckpointResponse> DeleteCheckpoint(
      const v1::DeleteCheckpointRequest& request) const;

  // Truncates or tombstones a stream (see EventStoreService.DeleteStream).
  // Never retried automatically.
  [[nodiscard]] absl::StatusOr<v1::DeleteStreamResponse> DeleteStream(
      const v1::DeleteStreamRequest& request) const;

  // Opens an append session (see client/append_session.h).
  [[nodiscard]] std::unique_ptr<AppendSession> OpenAppendSession() const;

  // The underlying channel, for callers that need the raw generated stub.
  [[nodiscard]] const std::shared_ptr<grpc::Channel>& channel() const {
    return channel_;
  }
  const ClientOptions& options() const { return options_; }

 private:
  Client(const ClientOptions& options, std::shared_ptr<grpc::Channel> channel);

  // Constant after construction.
  const ClientOptions options_;
  const std::shared_ptr<grpc::Channel> channel_;
  const std::unique_ptr<v1::EventStoreService::Stub> stub_;
};

}  // namespace evstore::client

#endif  // EVSTORE_CLIENT_EVSTORE_CLIENT_H_
