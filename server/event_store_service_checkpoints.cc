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

// Runs the checks common to every checkpoint RPC: true when the handler may
// go on; otherwise the call is finished (`finish`) with the error.
template <typename Params, typename Finish>
bool Admitted(const Authorizer& authorizer, EventLog* log,
              grpc::CallbackServerContext* context, Operation operation,
              const std::string& customer, const absl::StatusOr<Params>& params,
              Finish& finish) {
  if (absl::StatusOr<TokenRecord> caller =
          AuthorizeCall(authorizer, *context, operation, customer);
      !caller.ok()) {
    finish(ToGrpcStatus(caller.status()));
    return false;
  }
  if (!params.ok()) {
    finish(ToGrpcStatus(params.status()));
    return false;
  }
  if (absl::Status exists = log->CheckCustomerExists(customer); !exists.ok()) {
    finish(ToGrpcStatus(exists));
    return false;
  }
  return true;
}

// Finishes a unary call.
struct FinishUnary {
  void operator()(grpc::Status status) const {
    reactor->Finish(std::move(status));
  }
  grpc::ServerUnaryReactor* reactor;
};

const grpc::Status kShuttingDown(grpc::StatusCode::UNAVAILABLE,
                                 "server shutting down");

}  // namespace

grpc::ServerUnaryReactor* EventStoreService::CommitCheckpoint(
    grpc::CallbackServerContext* context,
    const v1::CommitCheckpointRequest* request,
    v1::CommitCheckpointResponse* response) {
  grpc::ServerUnaryReactor* const unary = context->DefaultReactor();
  // Counts every call by its result, like appends.
  ServerMetrics* const metrics = options_.metrics;
  auto finish = [unary, metrics](grpc::Status status) {
    if (metrics != nullptr)
      metrics->RecordCheckpointCommit(status.error_code());
    unary->Finish(std::move(status));
  };
  absl::StatusOr<CommitCheckpointParams> params =
      ValidateCommitCheckpointRequest(*request);
  if (!Admitted(authorizer_, log_, context, Operation::kWriteCheckpoints,
                request->customer(), params, finish)) {
    return unary;
  }
  // The call (with `response`) lives until Finish.
  log_->checkpoints().Commit(
      params->customer, std::move(params->commit),
      [finish, response](absl::StatusOr<Checkpoint> stored) {
        if (!stored.ok()) {
          finish(ToGrpcStatus(stored.status()));
          return;
        }
        ToProto(*stored, response->mutable_checkpoint());
        finish(grpc::Status::OK);
      });
  return unary;
}

grpc::ServerUnaryReactor* EventStoreService::GetCheckpoint(
    grpc::CallbackServerContext* context,
    const v1::GetCheckpointRequest* request,
    v1::GetCheckpointResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  FinishUnary finish{reactor};
  absl::StatusOr<CheckpointParams> params =
      ValidateGetCheckpointRequest(*request);
  if (!Admitted(authorizer_, log_, context, Operation::kReadCheckpoints,
                request->customer(), params, finish)) {
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
  FinishUnary finish{reactor};
  absl::StatusOr<ListCheckpointsParams> params =
      ValidateListCheckpointsRequest(*request);
  if (!Admitted(authorizer_, log_, context, Operation::kReadCheckpoints,
                request->customer(), params, finish)) {
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
  FinishUnary finish{reactor};
  absl::StatusOr<CheckpointParams> params =
      ValidateDeleteCheckpointRequest(*request);
  if (!Admitted(authorizer_, log_, context, Operation::kWriteCheckpoints,
                request->customer(), params, finish)) {
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
