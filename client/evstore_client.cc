#include "client/evstore_client.h"

#include <grpcpp/client_context.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "client/authorization.h"
#include "client/channel.h"
#include "client/resuming_subscription.h"
#include "client/retry_after.h"
#include "client/status_conversion.h"
#include "client/unary_call.h"

namespace evstore::client {
namespace {

void ApplyDeadline(absl::Duration deadline, grpc::ClientContext& context) {
  if (deadline == absl::InfiniteDuration()) return;
  context.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Client>> Client::Connect(
    const ClientOptions& options) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = MakeChannel(options);
  if (!channel.ok()) return channel.status();
  return std::unique_ptr<Client>(new Client(options, *std::move(channel)));
}

Client::Client(const ClientOptions& options,
               std::shared_ptr<grpc::Channel> channel)
    : options_(options),
      channel_(std::move(channel)),
      stub_(v1::EventStoreService::NewStub(channel_)) {}

std::unique_ptr<Client> Client::FromChannel(
    const ClientOptions& options, std::shared_ptr<grpc::Channel> channel) {
  return std::unique_ptr<Client>(new Client(options, std::move(channel)));
}

absl::StatusOr<v1::AppendResponse> Client::Append(
    const v1::AppendRequest& request) const {
  return UnaryCallWithRetry<v1::AppendResponse>(
      *stub_, &v1::EventStoreService::Stub::Append, options_, request);
}

absl::Status Client::Read(
    const v1::ReadRequest& request,
    const std::function<bool(const v1::RecordedEvent&)>& on_event) const {
  grpc::ClientContext context;
  ApplyDeadline(options_.default_deadline, context);
  AddAuthorization(options_.token, context);
  std::unique_ptr<grpc::ClientReader<v1::ReadResponse>> reader =
      stub_->Read(&context, request);
  v1::ReadResponse batch;
  bool stopped = false;
  while (!stopped && reader->Read(&batch)) {
    for (const v1::RecordedEvent& event : batch.events()) {
      if (!on_event(event)) {
        stopped = true;
        break;
      }
    }
  }
  if (stopped) context.TryCancel();
  const grpc::Status status = reader->Finish();
  // Stopping early is the caller's choice, not a failure; the CANCELLED
  // status it causes is deliberately dropped.
  if (stopped) return absl::OkStatus();
  return FromGrpcStatus(status);
}

absl::StatusOr<std::vector<v1::RecordedEvent>> Client::ReadAll(
    const v1::ReadRequest& request) const {
  std::vector<v1::RecordedEvent> events;
  absl::Status status = Read(request, [&events](const v1::RecordedEvent& e) {
    events.push_back(e);
    return true;
  });
  if (!status.ok()) return status;
  return events;
}

absl::StatusOr<v1::GetEventsResponse> Client::GetEvents(
    const v1::GetEventsRequest& request) const {
  grpc::ClientContext context;
  ApplyDeadline(options_.default_deadline, context);
  AddAuthorization(options_.token, context);
  v1::GetEventsResponse response;
  grpc::Status status = stub_->GetEvents(&context, request, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

std::unique_ptr<Subscription> Client::Subscribe(
    const v1::SubscribeRequest& request,
    const SubscriptionOptions& options) const {
  return std::make_unique<Subscription>(channel_, request, options,
                                        options_.token);
}

std::unique_ptr<ResumingSubscription> Client::SubscribeResuming(
    const ResumingSubscriptionOptions& options) const {
  return std::make_unique<ResumingSubscription>(*this, options);
}

std::unique_ptr<AppendSession> Client::OpenAppendSession() const {
  return std::make_unique<AppendSession>(channel_, options_.token);
}

}  // namespace evstore::client
