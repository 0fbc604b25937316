// EventStoreService: the checkpoint RPCs. Order of checks as in every
// handler (see event_store_service.h): authentication and authorization,
// validation, then whether the customer exists.
#include <utility>

#include "server/call_authorization.h"
#include "server/checkpoint_requests.h"
#include "server/event_store_service.h"
#include "server/status_mapping.h"
#include "spdlog/spdlog.h"

namespace evstore::server {
namespace {

// Runs the checks common to every checkpoint RPC: OK when the handler may
// go on; otherwise `reactor` is finished with the error.
template <typename Params>
bool Admitted(const Authorizer& authorizer, EventLog* log,
              grpc::CallbackServerContext* context, Operation operation,
              const std::string& customer, const absl::StatusOr<Params>& params,
              grpc::ServerUnaryReactor* reactor) {
  if (absl::StatusOr<TokenRecord> caller =
          AuthorizeCall(authorizer, *context, operation, customer);
      !caller.ok()) {
    reactor->Finish(ToGrpcStatus(caller.status()));
    return false;
  }
  if (!params.ok()) {
    reactor->Finish(ToGrpcStatus(params.status()));
    return false;
  }
  if (absl::Status exists = log->CheckCustomerExists(customer); !exists.ok()) {
    reactor->Finish(ToGrpcStatus(exists));
    return false;
  }
  return true;
}

const grpc::Status kShuttingDown(grpc::StatusCode::UNAVAILABLE,
                                 "server shutting down");

}  // namespace

grpc::ServerUnaryReactor* EventStoreService::CommitCheckpoint(
    grpc::CallbackServerContext* context,
    const v1::CommitCheckpointRequest* request,
    v1::CommitCheckpointResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<CommitCheckpointParams> params =
      ValidateCommitCheckpointRequest(*request);
  if (!Admitted(authorizer_, log_, context, Operation::kWriteCheckpoints,
                request->customer(), params, reactor)) {
    return reactor;
  }
  // The call (with `response`) lives until Finish.
  log_->checkpoints().Commit(
      params->customer, std::move(params->commit),
      [reactor, response](absl::StatusOr<Checkpoint> stored) {
        if (!stored.ok()) {
          reactor->Finish(ToGrpcStatus(stored.status()));
          return;
        }
        ToProto(*stored, response->mutable_checkpoint());
        reactor->Finish(grpc::Status::OK);
      });
  return reactor;
}

grpc::ServerUnaryReactor* EventStoreService::GetCheckpoint(
    grpc::CallbackServerContext* context,
    const v1::GetCheckpointRequest* request,
    v1::GetCheckpointResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<CheckpointParams> params =
      ValidateGetCheckpointRequest(*request);
  if (!Admitted(authorizer_, log_, context, Operation::kReadCheckpoints,
                request->customer(), params, reactor)) {
    return reactor;
  }
  const bool queued = disk_pool_->Schedule(
      [this, reactor, response, query = *std::move(params)] {
        absl::StatusOr<Checkpoint> stored =
            log_->checkpoints().Get(query.customer, query.id);
        if (!stored.ok()) {
          reactor->Finish(ToGrpcStatus(stored.status()));
          return;
        }
        ToProto(*stored, response->mutable_checkpoint());
        reactor->Finish(grpc::Status::OK);
      });
  if (!queued) reactor->Finish(kShuttingDown);
  return reactor;
}

grpc::ServerUnaryReactor* EventStoreService::ListCheckpoints(
    grpc::CallbackServerContext* context,
    const v1::ListCheckpointsRequest* request,
    v1::ListCheckpointsResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<ListCheckpointsParams> params =
      ValidateListCheckpointsRequest(*request);
  if (!Admitted(authorizer_, log_, context, Operation::kReadCheckpoints,
                request->customer(), params, reactor)) {
    return reactor;
  }
  const bool queued = disk_pool_->Schedule(
      [this, reactor, response, query = *std::move(params)] {
        absl::StatusOr<CheckpointPage> page = log_->checkpoints().List(
            query.customer, query.name_prefix, query.after, query.page_size);
        if (!page.ok()) {
          spdlog::warn("listing the checkpoints of {} failed: {}",
                       query.customer, page.status().ToString());
          reactor->Finish(ToGrpcStatus(page.status()));
          return;
        }
        for (const Checkpoint& checkpoint : page->checkpoints) {
          ToProto(checkpoint, response->add_checkpoints());
        }
        if (page->more && !page->checkpoints.empty()) {
          response->set_next_page_token(
              CheckpointPageToken(page->checkpoints.back().id));
        }
        reactor->Finish(grpc::Status::OK);
      });
  if (!queued) reactor->Finish(kShuttingDown);
  return reactor;
}

grpc::ServerUnaryReactor* EventStoreService::DeleteCheckpoint(
    grpc::CallbackServerContext* context,
    const v1::DeleteCheckpointRequest* request,
    v1::DeleteCheckpointResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<CheckpointParams> params =
      ValidateDeleteCheckpointRequest(*request);
  if (!Admitted(authorizer_, log_, context, Operation::kWriteCheckpoints,
                request->customer(), params, reactor)) {
    return reactor;
  }
  log_->checkpoints().Delete(
      params->customer, std::move(params->id),
      [reactor, response](absl::StatusOr<bool> existed) {
        if (!existed.ok()) {
          reactor->Finish(ToGrpcStatus(existed.status()));
          return;
        }
        response->set_existed(*existed);
        reactor->Finish(grpc::Status::OK);
      });
  return reactor;
}

}  // namespace evstore::server
