#include "bench/ceiling_server.h"

#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>
#include <grpcpp/support/server_callback.h>

#include <deque>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/mutex.h"
#include "bench/proto/ceiling.grpc.pb.h"

namespace evstore::bench {
namespace {

// evstored's receive limit with its default request limits (16 MiB of
// events, 10,000 events: see MaxReceiveMessageSize in
// server/evstore_server.cc).
constexpr int kMaxReceiveMessageBytes = (17 << 20) + 10'000 * 600;
// evstored's default --max_concurrent_streams.
constexpr int kMaxConcurrentStreams = 10'000;

void Answer(const v1::CeilingRequest& request, v1::CeilingResponse& response) {
  response.set_correlation_id(request.correlation_id());
  response.set_first_position(request.correlation_id());
  response.set_last_position(request.correlation_id());
}

// One Bidi call (see the header). gRPC operations are started with mu_ held:
// they only queue work and never run a reaction inline, and holding mu_
// makes "decide, then start" atomic, so nothing follows Finish.
class EchoReactor final
    : public grpc::ServerBidiReactor<v1::CeilingRequest, v1::CeilingResponse> {
 public:
  EchoReactor() {
    MutexLock lock(&mu_);
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    MutexLock lock(&mu_);
    if (!ok) {
      reads_ended_ = true;
      MaybeFinishLocked();
      return;
    }
    v1::CeilingResponse response;
    Answer(request_, response);
    if (writing_) {
      queued_.push_back(std::move(response));
    } else {
      writing_reply_ = std::move(response);
      writing_ = true;
      StartWrite(&writing_reply_);
    }
    StartRead(&request_);
  }

  void OnWriteDone(bool ok) override {
    MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) {
      // The client left: its read fails too, or has already.
      write_failed_ = true;
      queued_.clear();
    } else if (!queued_.empty()) {
      writing_reply_ = std::move(queued_.front());
      queued_.pop_front();
      writing_ = true;
      StartWrite(&writing_reply_);
      return;
    }
    MaybeFinishLocked();
  }

  void OnDone() override { delete this; }

 private:
  // Finishes once reads ended and every reply is written (or cannot be).
  void MaybeFinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_ || !reads_ended_ || writing_) return;
    if (!queued_.empty() && !write_failed_) return;
    finished_ = true;
    Finish(write_failed_ ? grpc::Status::CANCELLED : grpc::Status::OK);
  }

  Mutex mu_;
  // Filled by gRPC while the (single) read is in flight.
  v1::CeilingRequest request_ ABSL_GUARDED_BY(mu_);
  // Being sent by gRPC while writing_.
  v1::CeilingResponse writing_reply_ ABSL_GUARDED_BY(mu_);
  std::deque<v1::CeilingResponse> queued_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool write_failed_ ABSL_GUARDED_BY(mu_) = false;
  bool reads_ended_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

class CeilingServiceImpl final : public v1::CeilingService::CallbackService {
 public:
  grpc::ServerUnaryReactor* Unary(grpc::CallbackServerContext* context,
                                  const v1::CeilingRequest* request,
                                  v1::CeilingResponse* response) override {
    Answer(*request, *response);
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  grpc::ServerBidiReactor<v1::CeilingRequest, v1::CeilingResponse>* Bidi(
      grpc::CallbackServerContext* /*context*/) override {
    return new EchoReactor();
  }
};

CeilingServer::CeilingServer() = default;

absl::StatusOr<std::unique_ptr<CeilingServer>> CeilingServer::Start(
    const std::string& listen) {
  std::unique_ptr<CeilingServer> server(new CeilingServer());
  server->service_ = std::make_unique<CeilingServiceImpl>();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(),
                           &server->port_);
  builder.RegisterService(server->service_.get());
  // The same options as evstored (server/evstore_server.cc).
  builder.SetMaxReceiveMessageSize(kMaxReceiveMessageBytes);
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS,
                             kMaxConcurrentStreams);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 60'000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20'000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(
      GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10'000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", listen));
  }
  return server;
}

CeilingServer::~CeilingServer() { Shutdown(absl::Now()); }

void CeilingServer::Shutdown(absl::Time deadline) {
  if (server_ == nullptr || shut_down_) return;
  shut_down_ = true;
  server_->Shutdown(absl::ToChronoTime(deadline));
  server_->Wait();
}

}  // namespace evstore::bench
