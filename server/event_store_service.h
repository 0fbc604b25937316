// EventStoreService: the evstore.v1.EventStoreService on the gRPC callback
// API. Authenticates and authorizes every call first (call_authorization.h),
// then validates requests, hands them to the EventLog and streams the
// results back; it never blocks a gRPC thread (disk reads run on pools).
//
// Order of checks in every handler: authentication (UNAUTHENTICATED),
// authorization for the customer named (PERMISSION_DENIED), validation
// (INVALID_ARGUMENT...), then, for Read, GetEvents and Subscribe, whether
// the customer exists (NOT_FOUND; see EventLog::CheckCustomerExists). So a
// caller learns about a customer only once it may access it. The checkpoint
// RPCs check the same way.
#ifndef EVSTORE_SERVER_EVENT_STORE_SERVICE_H_
#define EVSTORE_SERVER_EVENT_STORE_SERVICE_H_

#include "absl/time/time.h"
#include "evstore/v1/evstore.grpc.pb.h"
#include "grpcpp/support/byte_buffer.h"
#include "server/append_session_reactor.h"
#include "server/authorizer.h"
#include "server/event_encoding_cache.h"
#include "server/housekeeping_timer.h"
#include "server/metrics/server_metrics.h"
#include "server/quota_enforcer.h"
#include "server/request_validation.h"
#include "server/worker_pool.h"
#include "storage/event_log.h"

namespace evstore::server {

// The checkpoint RPCs (event_store_service_checkpoints.cc) on `Base`.
template <class Base>
using WithCheckpointMethods =
    v1::EventStoreService::WithCallbackMethod_CommitCheckpoint<
        v1::EventStoreService::WithCallbackMethod_GetCheckpoint<
            v1::EventStoreService::WithCallbackMethod_ListCheckpoints<
                v1::EventStoreService::WithCallbackMethod_DeleteCheckpoint<
                    Base>>>>;

// The generated CallbackService, except that Subscribe is a raw method
// (grpc::ByteBuffer in and out, the same bytes on the wire): a subscription
// sends live events as bytes encoded once and shared by every subscriber of
// the feed, which a typed writer would copy into a message per subscriber.
// A method added to the proto must be added to this list too; otherwise the
// synchronous Service's default serves it (UNIMPLEMENTED).
using CallbackServiceWithRawSubscribe =
    v1::EventStoreService::WithCallbackMethod_Append<
        v1::EventStoreService::WithCallbackMethod_AppendSession<
            v1::EventStoreService::WithCallbackMethod_Read<
                v1::EventStoreService::WithCallbackMethod_GetEvents<
                    v1::EventStoreService::WithRawCallbackMethod_Subscribe<
                        WithCheckpointMethods<
                            v1::EventStoreService::
                                WithCallbackMethod_DeleteStream<
                                    v1::EventStoreService::Service>>>>>>>;

class EventStoreService final : public CallbackServiceWithRawSubscribe {
 public:
  struct Options {
    RequestLimits limits;
    // For subscriptions that leave heartbeat_interval_ms at 0.
    absl::Duration default_heartbeat_interval = absl::Seconds(5);
    // Where append results and subscriptions are counted; null: nowhere.
    // Must outlive the service.
    ServerMetrics* metrics = nullptr;
  };

  // Every pointer must outlive the service and every call it served: stop
  // the gRPC server first, then the pools and the timer, then the log.
  // `disk_pool` runs blocking reads (Read, GetEvents, catch-up);
  // `live_pool` runs live-tail fetches of subscriptions.
  EventStoreService(EventLog* log, WorkerPool* disk_pool, WorkerPool* live_pool,
                    HousekeepingTimer* timer, Options options);
  EventStoreService(const EventStoreService&) = delete;
  EventStoreService& operator=(const EventStoreService&) = delete;

  // Ends the open AppendSessions (UNAVAILABLE once their accepted requests
  // are answered) and makes new ones end at once. Subscriptions end on their
  // own when the log closes its tails.
  void BeginShutdown();

  grpc::ServerUnaryReactor* Append(grpc::CallbackServerContext* context,
                                   const v1::AppendRequest* request,
                                   v1::AppendResponse* response) override;
  grpc::ServerBidiReactor<v1::AppendSessionRequest, v1::AppendSessionResponse>*
  AppendSession(grpc::CallbackServerContext* context) override;
  grpc::ServerWriteReactor<v1::ReadResponse>* Read(
      grpc::CallbackServerContext* context,
      const v1::ReadRequest* request) override;
  grpc::ServerUnaryReactor* GetEvents(grpc::CallbackServerContext* context,
                                      const v1::GetEventsRequest* request,
                                      v1::GetEventsResponse* response) override;
  // `request` is a serialized SubscribeRequest; the reactor writes
  // serialized SubscribeResponses.
  grpc::ServerWriteReactor<grpc::ByteBuffer>* Subscribe(
      grpc::CallbackServerContext* context,
      const grpc::ByteBuffer* request) override;
  // delete_stream_handler.cc.
  grpc::ServerUnaryReactor* DeleteStream(
      grpc::CallbackServerContext* context,
      const v1::DeleteStreamRequest* request,
      v1::DeleteStreamResponse* response) override;

  // Checkpoints (event_store_service_checkpoints.cc). Commit and Delete are
  // answered by the checkpoint store's writer thread once durable; Get and
  // List read on the disk pool.
  grpc::ServerUnaryReactor* CommitCheckpoint(
      grpc::CallbackServerContext* context,
      const v1::CommitCheckpointRequest* request,
      v1::CommitCheckpointResponse* response) override;
  grpc::ServerUnaryReactor* GetCheckpoint(
      grpc::CallbackServerContext* context,
      const v1::GetCheckpointRequest* request,
      v1::GetCheckpointResponse* response) override;
  grpc::ServerUnaryReactor* ListCheckpoints(
      grpc::CallbackServerContext* context,
      const v1::ListCheckpointsRequest* request,
      v1::ListCheckpointsResponse* response) override;
  grpc::ServerUnaryReactor* DeleteCheckpoint(
      grpc::CallbackServerContext* context,
      const v1::DeleteCheckpointRequest* request,
      v1::DeleteCheckpointResponse* response) override;

 private:
  // Constant after construction.
  EventLog* const log_;
  WorkerPool* const disk_pool_;
  WorkerPool* const live_pool_;
  HousekeepingTimer* const timer_;
  const Options options_;
  const Authorizer authorizer_;

  EventEncodingCaches encodings_;

  // Per-customer quotas; checked after validation, before anything is
  // queued. Declared before sessions_: sessions and subscriptions hold it.
  QuotaEnforcer quotas_;

  AppendSessionRegistry sessions_;
};

}  // namespace evstore::server

#endif  // EVSTORE_SERVER_EVENT_STORE_SERVICE_H_
