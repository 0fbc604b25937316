// EventStoreService::DeleteStream: authorization, validation, then the event
// log's DeleteStream (docs/retention.md).
#include "absl/strings/str_cat.h"
#include "server/call_authorization.h"
#include "server/event_store_service.h"
#include "server/status_mapping.h"
#include "spdlog/spdlog.h"
#include "storage/names.h"

namespace evstore::server {

grpc::ServerUnaryReactor* EventStoreService::DeleteStream(
    grpc::CallbackServerContext* context,
    const v1::DeleteStreamRequest* request,
    v1::DeleteStreamResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<TokenRecord> caller = AuthorizeCall(
      authorizer_, *context, Operation::kDeleteStream, request->customer());
  if (!caller.ok()) {
    reactor->Finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  absl::Status valid = ValidateCustomerName(request->customer(), "customer");
  if (valid.ok()) valid = ValidateStreamName(request->stream(), "stream");
  if (valid.ok() && request->mode() != v1::DELETE_STREAM_MODE_TRUNCATE &&
      request->mode() != v1::DELETE_STREAM_MODE_TOMBSTONE) {
    valid = absl::InvalidArgumentError(
        absl::StrCat("mode: must be DELETE_STREAM_MODE_TRUNCATE or "
                     "DELETE_STREAM_MODE_TOMBSTONE (got ",
                     static_cast<int>(request->mode()), ")"));
  }
  if (!valid.ok()) {
    reactor->Finish(ToGrpcStatus(valid));
    return reactor;
  }
  const ExpectedRevision expected =
      request->has_expected_revision() ? ExpectedRevision::Exact(StreamRevision(
                                             request->expected_revision()))
                                       : ExpectedRevision::Any();
  const bool tombstone = request->mode() == v1::DELETE_STREAM_MODE_TOMBSTONE;
  log_->DeleteStream(
      request->customer(), request->stream(), expected, tombstone,
      [reactor, response, customer = request->customer(),
       stream = request->stream()](absl::StatusOr<AppendResult> result) {
        if (!result.ok()) {
          reactor->Finish(ToGrpcStatus(result.status()));
          return;
        }
        response->set_last_revision(
            result->streams.empty() ? 0
                                    : result->streams[0].last_revision.value());
        response->set_removed_events(result->removed_events);
        response->set_tombstoned(result->tombstoned);
        spdlog::info("stream {} of {}: {} events removed{}", stream, customer,
                     result->removed_events,
                     result->tombstoned ? ", tombstoned" : "");
        reactor->Finish(grpc::Status::OK);
      });
  return reactor;
}

}  // namespace evstore::server
