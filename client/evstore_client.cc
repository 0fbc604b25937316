#include "client/evstore_client.h"

#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "client/authorization.h"
#include "client/retry_after.h"
#include "client/status_conversion.h"

namespace evstore::client {
namespace {

void ApplyDeadline(absl::Duration deadline, grpc::ClientContext& context) {
  if (deadline == absl::InfiniteDuration()) return;
  context.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
}

// gRPC takes message size limits as int; larger requests are clamped.
int MessageSizeLimit(std::size_t bytes) {
  constexpr std::size_t kMax = static_cast<std::size_t>(INT32_MAX);
  return static_cast<int>(bytes < kMax ? bytes : kMax);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Client>> Client::Connect(
    const ClientOptions& options) {
  if (options.address.empty()) {
    return absl::InvalidArgumentError("client options: address is empty");
  }
  grpc::ChannelArguments arguments;
  arguments.SetMaxReceiveMessageSize(
      MessageSizeLimit(options.max_message_bytes));
  arguments.SetMaxSendMessageSize(MessageSizeLimit(options.max_message_bytes));
  std::shared_ptr<grpc::Channel> channel = grpc::CreateCustomChannel(
      options.address, grpc::InsecureChannelCredentials(), arguments);
  if (channel == nullptr) {
    return absl::InternalError(
        absl::StrCat("cannot create a channel to ", options.address));
  }
  if (options.connect_timeout > absl::ZeroDuration() &&
      !channel->WaitForConnected(
          absl::ToChronoTime(absl::Now() + options.connect_timeout))) {
    return absl::UnavailableError(
        absl::StrCat("cannot connect to ", options.address, " within ",
                     absl::FormatDuration(options.connect_timeout)));
  }
  return std::unique_ptr<Client>(new Client(options, std::move(channel)));
}

Client::Client(const ClientOptions& options,
               std::shared_ptr<grpc::Channel> channel)
    : options_(options),
      channel_(std::move(channel)),
      stub_(v1::EventStoreService::NewStub(channel_)) {}

absl::StatusOr<v1::AppendResponse> Client::Append(
    const v1::AppendRequest& request) const {
  grpc::ClientContext context;
  ApplyDeadline(options_.default_deadline, context);
  AddAuthorization(options_.token, context);
  v1::AppendResponse response;
  grpc::Status status = stub_->Append(&context, request, &response);
  if (!status.ok()) {
    return WithRetryAfterFromTrailers(FromGrpcStatus(status), context);
  }
  return response;
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

std::unique_ptr<AppendSession> Client::OpenAppendSession() const {
  return std::make_unique<AppendSession>(channel_, options_.token);
}

}  // namespace evstore::client
