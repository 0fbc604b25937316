#include "server/evstore_server.h"

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpc/grpc.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/generic/async_generic_service.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "grpcpp/support/server_interceptor.h"
#include "server/admin_bootstrap.h"
#include "server/tls_credentials.h"
#include "spdlog/spdlog.h"

namespace evstore::server {
namespace {

// How often the housekeeping timer checks subscriptions for heartbeats.
constexpr absl::Duration kHousekeepingPeriod = absl::Milliseconds(50);

// Bytes a request may carry beyond max_append_bytes: protobuf framing, event
// ids, content types, stream names and the like.
constexpr int64_t kRequestOverheadBytes = int64_t{1} << 20;
constexpr int64_t kPerEventOverheadBytes = 600;

int MaxReceiveMessageSize(const RequestLimits& limits) {
  const int64_t size =
      static_cast<int64_t>(limits.max_append_bytes) + kRequestOverheadBytes +
      static_cast<int64_t>(limits.max_append_events) * kPerEventOverheadBytes;
  return static_cast<int>(std::min<int64_t>(size, INT_MAX));
}

// Live fetches are short CPU work (copying events from memory into
// messages); one thread per core, at least two.
int LiveThreads() {
  const unsigned cores = std::thread::hardware_concurrency();
  return static_cast<int>(std::clamp(cores, 2u, 16u));
}

}  // namespace

absl::StatusOr<std::unique_ptr<EvstoreServer>> EvstoreServer::Start(
    const ServerConfig& config) {
  // First, so that a bad TLS file fails before the data directory is
  // touched.
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      MakeServerCredentials(config);
  if (!credentials.ok()) return credentials.status();
  std::unique_ptr<EvstoreServer> server(new EvstoreServer());
  if (!config.metrics_address.empty()) {
    server->metrics_ = std::make_shared<ServerMetrics>();
  }

  EventLogOptions log_options;
  log_options.metrics_sink = server->metrics_.get();
  log_options.data_dir = config.data_dir;
  log_options.durability = config.durability;
  log_options.auto_create_customers = config.auto_create_customers;
  log_options.disk_reserve_bytes = config.disk_reserve_bytes;
  log_options.retention_interval_ms = config.retention_interval_ms;
  log_options.segment_events = config.segment_events;
  absl::StatusOr<std::unique_ptr<EventLog>> log = EventLog::Open(log_options);
  if (!log.ok()) {
    return absl::Status(
        log.status().code(),
        absl::StrCat("cannot open the event log in \"", config.data_dir,
                     "\": ", log.status().message()));
  }
  server->log_ = *std::move(log);
  if (server->metrics_ != nullptr) {
    server->metrics_->AttachLog(server->log_.get());
    absl::StatusOr<std::unique_ptr<MetricsEndpoint>> endpoint =
        MetricsEndpoint::Start(config.metrics_address, server->metrics_);
    if (!endpoint.ok()) return endpoint.status();
    server->metrics_endpoint_ = *std::move(endpoint);
  }
  absl::StatusOr<std::optional<std::string>> admin_token = BootstrapAdminToken(
      config.data_dir, server->log_->tokens(), absl::ToUnixMicros(absl::Now()));
  if (!admin_token.ok()) return admin_token.status();
  if (admin_token->has_value()) {
    spdlog::warn(
        "no admin token existed: created one and wrote it to {} (mode 0600); "
        "keep it secret, use it with `evstore --token` or EVSTORE_TOKEN, and "
        "create other tokens with `evstore token create`",
        **admin_token);
  }

  server->disk_pool_ =
      std::make_unique<WorkerPool>("disk-read", config.reader_threads);
  server->live_pool_ = std::make_unique<WorkerPool>("live", LiveThreads());
  server->timer_ = std::make_unique<HousekeepingTimer>(kHousekeepingPeriod);
  server->service_ = std::make_unique<EventStoreService>(
      server->log_.get(), server->disk_pool_.get(), server->live_pool_.get(),
      server->timer_.get(),
      EventStoreService::Options{
          .limits = config.limits,
          .default_heartbeat_interval = config.heartbeat_interval,
          .metrics = server->metrics_.get()});
  server->admin_service_ = std::make_unique<AdminService>(
      server->log_.get(), server->disk_pool_.get());

  // grpc.health.v1: SERVING from here on (the log is open: recovery is
  // done), NOT_SERVING after a storage failure or once shutting down.
  grpc::EnableDefaultHealthCheckService(true);
  // Server reflection (grpc.reflection.v1alpha), so that generic tools
  // (grpcurl, grpc_cli) can list and call the API. It needs no token, like
  // health: it reveals only the schema, which is public (proto/).
  // Registers a plugin for every ServerBuilder made from now on; once only.
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(config.listen, *credentials, &server->port_);
  builder.RegisterService(server->service_.get());
  builder.RegisterService(server->admin_service_.get());
  std::vector<
      std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      interceptors;
  interceptors.push_back(server->in_flight_.MakeInterceptorFactory());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  builder.SetMaxReceiveMessageSize(MaxReceiveMessageSize(config.limits));
  // Without this, a second evstored could bind the same port and silently
  // take half of the connections.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS,
                             config.max_concurrent_streams);
  // Keepalive: find dead peers of long-lived subscriptions, and let clients
  // ping every 10 s (also between calls) without being disconnected.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 60'000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20'000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(
      GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10'000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  server->grpc_server_ = builder.BuildAndStart();
  if (server->grpc_server_ == nullptr || server->port_ == 0) {
    // The destructor closes the log and stops the threads.
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", config.listen,
                     " (the address is in use or not available on this host)"));
  }
  std::vector<grpc::HealthCheckServiceInterface*> health_services = {
      server->grpc_server_->GetHealthCheckService()};
  if (!config.health_listen.empty()) {
    // Only the default health service, with the same statuses as the main
    // server's (the reporter sets both). gRPC's default health service
    // polls no completion queue of its own, and a server must have one that
    // is polled: the generic callback service, which answers every other
    // method with UNIMPLEMENTED, provides it.
    server->health_unimplemented_ =
        std::make_unique<grpc::CallbackGenericService>();
    grpc::ServerBuilder health_builder;
    health_builder.RegisterCallbackGenericService(
        server->health_unimplemented_.get());
    health_builder.AddListeningPort(config.health_listen,
                                    grpc::InsecureServerCredentials(),
                                    &server->health_port_);
    health_builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
    server->health_server_ = health_builder.BuildAndStart();
    if (server->health_server_ == nullptr || server->health_port_ == 0 ||
        server->health_server_->GetHealthCheckService() == nullptr) {
      return absl::UnavailableError(absl::StrCat(
          "cannot listen on ", config.health_listen,
          " (--health_listen: the address is in use or not available on "
          "this host)"));
    }
    health_services.push_back(server->health_server_->GetHealthCheckService());
    spdlog::info("health service (only) in plaintext on {}",
                 WithPort(config.health_listen, server->health_port_));
  }
  server->health_reporter_ = std::make_shared<WriteHealthReporter>(
      server->log_.get(), std::move(health_services),
      std::vector<std::string>{
          evstore::v1::EventStoreService::service_full_name()});
  server->timer_->Register(server->health_reporter_);
  return server;
}

EvstoreServer::~EvstoreServer() {
  Shutdown(absl::Now());
  if (grpc_server_ != nullptr) grpc_server_->Wait();
  if (health_server_ != nullptr) health_server_->Wait();
}

void EvstoreServer::Shutdown(absl::Time deadline) {
  MutexLock lock(&shutdown_mu_);
  if (shut_down_) return;
  shut_down_ = true;
  if (metrics_ != nullptr) metrics_->DetachLog();
  if (health_reporter_ != nullptr) health_reporter_->Stop();
  for (grpc::Server* server : {grpc_server_.get(), health_server_.get()}) {
    if (server != nullptr && server->GetHealthCheckService()) {
      server->GetHealthCheckService()->Shutdown();
    }
  }
  if (log_ != nullptr) log_->Close();
  if (service_ != nullptr) service_->BeginShutdown();
  if (grpc_server_ != nullptr) StopGrpc(deadline);
  // Last, so that probes see NOT_SERVING until the server is gone.
  if (health_server_ != nullptr) {
    health_server_->Shutdown(absl::ToChronoTime(absl::Now()));
  }
  if (timer_ != nullptr) timer_->Stop();
  if (live_pool_ != nullptr) live_pool_->Stop();
  if (disk_pool_ != nullptr) disk_pool_->Stop();
}

void EvstoreServer::StopGrpc(absl::Time deadline) {
  // grpc::Server::Shutdown stops accepting calls at once and waits for every
  // open call until the deadline. Ours end by themselves now (the log is
  // closed: appends answered, tails and sessions ended); health watches and
  // reflection streams never do. So once ours are done, the canceller ends
  // the rest, and keeps doing so until Shutdown returns (a call may still
  // have been accepted as it began). Health watchers get kWatchGrace from
  // the start of this step to receive NOT_SERVING first.
  constexpr absl::Duration kWatchGrace = absl::Milliseconds(100);
  const absl::Time not_before = absl::Now() + kWatchGrace;
  absl::Notification stopped;
  std::atomic<bool> late{false};
  std::thread canceller([this, deadline, not_before, &stopped, &late] {
    while (!stopped.HasBeenNotified()) {
      if (!in_flight_.WaitUntilIdle(deadline)) {
        late = true;  // Shutdown cancels them at the deadline.
        return;
      }
      if (in_flight_.others() > 0) {
        if (stopped.WaitForNotificationWithDeadline(not_before)) return;
        grpc_server_cancel_all_calls(grpc_server_->c_server());
      }
      stopped.WaitForNotificationWithTimeout(absl::Milliseconds(20));
    }
  });
  grpc_server_->Shutdown(absl::ToChronoTime(deadline));
  stopped.Notify();
  canceller.join();
  if (late) {
    spdlog::warn(
        "shutdown: calls still open at the shutdown deadline were cancelled "
        "(e.g. a subscriber that stopped reading)");
  }
}

void EvstoreServer::Wait() {
  if (grpc_server_ != nullptr) grpc_server_->Wait();
}

}  // namespace evstore::server
