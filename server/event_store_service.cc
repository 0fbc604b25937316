#include "server/event_store_service.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/call_authorization.h"
#include "server/proto_conversion.h"
#include "server/read_reactor.h"
#include "server/retention_floor.h"
#include "server/retry_hint.h"
#include "server/status_mapping.h"
#include "server/subscription_reactor.h"
#include "spdlog/spdlog.h"

namespace evstore::server {
namespace {

// A write reactor that only reports an error (for requests that fail
// authorization or validation before any streaming starts).
template <typename Response>
class FailedWriteReactor final : public grpc::ServerWriteReactor<Response> {
 public:
  explicit FailedWriteReactor(grpc::Status status) {
    this->Finish(std::move(status));
  }
  void OnDone() override { delete this; }
};

// The same for a bidirectional stream whose caller is not authenticated.
template <typename Request, typename Response>
class FailedBidiReactor final
    : public grpc::ServerBidiReactor<Request, Response> {
 public:
  explicit FailedBidiReactor(grpc::Status status) {
    this->Finish(std::move(status));
  }
  void OnDone() override { delete this; }
};

// Bounds of each feed's shared encodings of live events (per customer with
// live subscribers; allocated on first use). Live subscribers are within a
// few commit groups of the head, so a short window serves them all; one
// further behind encodes for itself.
constexpr size_t kEncodedEventsPerFeed = 1024;
constexpr size_t kEncodedBytesPerFeed = size_t{4} << 20;

}  // namespace

EventStoreService::EventStoreService(EventLog* log, WorkerPool* disk_pool,
                                     WorkerPool* live_pool,
                                     HousekeepingTimer* timer, Options options)
    : log_(log),
      disk_pool_(disk_pool),
      live_pool_(live_pool),
      timer_(timer),
      options_(options),
      authorizer_(&log->tokens()),
      encodings_(kEncodedEventsPerFeed, kEncodedBytesPerFeed),
      quotas_(log) {}

void EventStoreService::BeginShutdown() { sessions_.ShutdownAll(); }

grpc::ServerUnaryReactor* EventStoreService::Append(
    grpc::CallbackServerContext* context, const v1::AppendRequest* request,
    v1::AppendResponse* response) {
  const absl::Time received = absl::Now();
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  ServerMetrics* const metrics = options_.metrics;
  auto finish = [reactor, metrics](grpc::Status status) {
    if (metrics != nullptr) metrics->RecordAppendResult(status.error_code());
    reactor->Finish(std::move(status));
  };
  if (absl::StatusOr<TokenRecord> caller = AuthorizeCall(
          authorizer_, *context, Operation::kAppend, request->customer());
      !caller.ok()) {
    finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  absl::StatusOr<AppendBatch> batch = ToAppendBatch(*request, options_.limits);
  if (!batch.ok()) {
    finish(ToGrpcStatus(batch.status()));
    return reactor;
  }
  if (absl::Status admitted = quotas_.AdmitAppend(*batch); !admitted.ok()) {
    AddRetryAfterTrailer(admitted, context);
    finish(ToGrpcStatus(admitted));
    return reactor;
  }
  // The call (with `response`) lives until Finish, even when the client
  // cancels meanwhile, so the callback may use both.
  log_->Append(*std::move(batch), [finish, response, metrics, received](
                                      absl::StatusOr<AppendResult> result) {
    if (metrics != nullptr)
      metrics->RecordAppendLatency(absl::Now() - received);
    if (!result.ok()) {
      finish(ToGrpcStatus(result.status()));
      return;
    }
    ToProto(*result, response);
    finish(grpc::Status::OK);
  });
  return reactor;
}

grpc::ServerBidiReactor<v1::AppendSessionRequest, v1::AppendSessionResponse>*
EventStoreService::AppendSession(grpc::CallbackServerContext* context) {
  // Authenticated once here; each append is authorized (and the token
  // re-checked per message) by the session.
  absl::StatusOr<TokenRecord> caller = AuthenticateCall(authorizer_, *context);
  if (!caller.ok()) {
    return new FailedBidiReactor<v1::AppendSessionRequest,
                                 v1::AppendSessionResponse>(
        ToGrpcStatus(caller.status()));
  }
  return new AppendSessionReactor(log_, options_.limits, &quotas_, &sessions_,
                                  &authorizer_, std::move(caller->hash),
                                  options_.metrics);
}

grpc::ServerWriteReactor<v1::ReadResponse>* EventStoreService::Read(
    grpc::CallbackServerContext* context, const v1::ReadRequest* request) {
  if (absl::StatusOr<TokenRecord> caller = AuthorizeCall(
          authorizer_, *context, Operation::kRead, request->customer());
      !caller.ok()) {
    return new FailedWriteReactor<v1::ReadResponse>(
        ToGrpcStatus(caller.status()));
  }
  absl::StatusOr<ReadParams> params = ValidateReadRequest(*request);
  if (!params.ok()) {
    return new FailedWriteReactor<v1::ReadResponse>(
        ToGrpcStatus(params.status()));
  }
  if (absl::Status exists = log_->CheckCustomerExists(params->customer);
      !exists.ok()) {
    return new FailedWriteReactor<v1::ReadResponse>(ToGrpcStatus(exists));
  }
  if (params->stream.empty() && params->from > 0) {
    // 0 reads from the first retained position (forwards) or the head.
    const FeedPosition floor = log_->FirstRetained(params->customer);
    if (FeedPosition(params->from) < floor) {
      return new FailedWriteReactor<v1::ReadResponse>(BelowRetentionFloor(
          context, params->customer,
          absl::StrCat("reading from position ", params->from), floor));
    }
  }
  return new ReadReactor(log_, disk_pool_, *std::move(params));
}

grpc::ServerUnaryReactor* EventStoreService::GetEvents(
    grpc::CallbackServerContext* context, const v1::GetEventsRequest* request,
    v1::GetEventsResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (absl::StatusOr<TokenRecord> caller = AuthorizeCall(
          authorizer_, *context, Operation::kGetEvents, request->customer());
      !caller.ok()) {
    reactor->Finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  absl::StatusOr<LookupParams> params = ValidateGetEventsRequest(*request);
  if (!params.ok()) {
    reactor->Finish(ToGrpcStatus(params.status()));
    return reactor;
  }
  if (absl::Status exists = log_->CheckCustomerExists(params->customer);
      !exists.ok()) {
    reactor->Finish(ToGrpcStatus(exists));
    return reactor;
  }
  const bool queued = disk_pool_->Schedule(
      [this, reactor, response, query = *std::move(params)] {
        absl::StatusOr<LookupResult> result = log_->Lookup(
            query.customer, query.ids, query.positions, query.include_data);
        if (!result.ok()) {
          spdlog::warn("lookup in the feed of {} failed: {}", query.customer,
                       result.status().ToString());
          reactor->Finish(ToGrpcStatus(result.status()));
          return;
        }
        response->mutable_events()->Reserve(
            static_cast<int>(result->events.size()));
        for (RecordedEvent& event : result->events) {
          ToProto(std::move(event), response->add_events());
        }
        for (const EventId& id : result->missing_ids) {
          response->add_missing_ids(id.ToString());
        }
        for (FeedPosition position : result->missing_positions) {
          response->add_missing_positions(position.value());
        }
        reactor->Finish(grpc::Status::OK);
      });
  if (!queued) {
    reactor->Finish(
        grpc::Status(grpc::StatusCode::UNAVAILABLE, "server shutting down"));
  }
  return reactor;
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* EventStoreService::Subscribe(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request) {
  absl::StatusOr<TokenRecord> caller = AuthenticateCall(authorizer_, *context);
  if (!caller.ok()) {
    return new FailedWriteReactor<grpc::ByteBuffer>(
        ToGrpcStatus(caller.status()));
  }
  // Parsed as the typed method would (which answers INTERNAL for bytes that
  // do not parse).
  grpc::ByteBuffer request_bytes(*request);  // Deserialize consumes it.
  v1::SubscribeRequest parsed;
  grpc::Status parse_status =
      grpc::SerializationTraits<v1::SubscribeRequest>::Deserialize(
          &request_bytes, &parsed);
  if (!parse_status.ok()) {
    return new FailedWriteReactor<grpc::ByteBuffer>(std::move(parse_status));
  }
  if (absl::Status allowed = Authorizer::Authorize(
          *caller, Operation::kSubscribe, parsed.customer());
      !allowed.ok()) {
    return new FailedWriteReactor<grpc::ByteBuffer>(ToGrpcStatus(allowed));
  }
  absl::StatusOr<SubscriptionParams> params = ValidateSubscribeRequest(parsed);
  if (!params.ok()) {
    return new FailedWriteReactor<grpc::ByteBuffer>(
        ToGrpcStatus(params.status()));
  }
  if (absl::Status exists = log_->CheckCustomerExists(params->customer);
      !exists.ok()) {
    return new FailedWriteReactor<grpc::ByteBuffer>(ToGrpcStatus(exists));
  }
  if (!params->start_at_end) {
    // Starting from the beginning is from the oldest retained event.
    const FeedPosition floor = log_->FirstRetained(params->customer);
    if (params->start_after.Next() < floor) {
      if (params->start_after.value() > 0 &&
          !params->start_at_oldest_retained) {
        return new FailedWriteReactor<grpc::ByteBuffer>(BelowRetentionFloor(
            context, params->customer,
            absl::StrCat("after_position ", params->start_after.value()),
            floor));
      }
      params->start_after = floor.Prev();
    }
  }
  absl::StatusOr<SubscriptionSlot> slot =
      quotas_.AcquireSubscription(params->customer);
  if (!slot.ok()) {
    AddRetryAfterTrailer(slot.status(), context);
    return new FailedWriteReactor<grpc::ByteBuffer>(
        ToGrpcStatus(slot.status()));
  }
  const SubscriptionEnv env{
      .log = log_,
      .disk_pool = disk_pool_,
      .live_pool = live_pool_,
      .timer = timer_,
      .encodings = &encodings_,
      .default_heartbeat_interval = options_.default_heartbeat_interval,
      .authorizer = &authorizer_,
      .metrics = options_.metrics};
  return new SubscriptionReactor(context, env, *std::move(params),
                                 std::move(caller->hash), *std::move(slot));
}

}  // namespace evstore::server
