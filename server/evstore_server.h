// EvstoreServer: evstored as an object. Opens the event log, serves the
// EventStoreService over gRPC, and shuts both down in order.
#ifndef EVSTORE_SERVER_EVSTORE_SERVER_H_
#define EVSTORE_SERVER_EVSTORE_SERVER_H_

#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/mutex.h"
#include "grpcpp/generic/async_generic_service.h"
#include "grpcpp/server.h"
#include "server/admin_service.h"
#include "server/event_store_service.h"
#include "server/housekeeping_timer.h"
#include "server/in_flight_calls.h"
#include "server/metrics/metrics_endpoint.h"
#include "server/metrics/server_metrics.h"
#include "server/server_config.h"
#include "server/worker_pool.h"
#include "server/write_health_reporter.h"
#include "storage/event_log.h"

namespace evstore::server {

class EvstoreServer {
 public:
  // Opens the log in config.data_dir and starts serving on config.listen,
  // over TLS when config has TLS files (see tls_credentials.h), the
  // Prometheus metrics on config.metrics_address unless it is empty, and,
  // when config.health_listen is set, the health service alone in plaintext
  // there (the same status as on config.listen).
  // Errors: FAILED_PRECONDITION naming the flag and file for an unreadable or
  // invalid TLS file (checked first); the log's Open error with the
  // directory named (FAILED_PRECONDITION when another process holds it or
  // the format is incompatible), or UNAVAILABLE when the address (or the
  // metrics address) cannot be bound.
  static absl::StatusOr<std::unique_ptr<EvstoreServer>> Start(
      const ServerConfig& config);

  EvstoreServer(const EvstoreServer&) = delete;
  EvstoreServer& operator=(const EvstoreServer&) = delete;
  // Shuts down (with no grace period) unless that was done, then waits.
  ~EvstoreServer();

  // The bound port (the chosen one when config.listen had port 0).
  int port() const { return port_; }
  // The bound port of the metrics endpoint; 0 when there is none.
  int metrics_port() const {
    return metrics_endpoint_ != nullptr ? metrics_endpoint_->port() : 0;
  }
  // The bound port of config.health_listen; 0 when it is not set.
  int health_port() const { return health_port_; }

  // Graceful shutdown, in order:
  //  0. scrapes stop reading the log (the endpoint serves until
  //     destruction); health (grpc.health.v1) turns NOT_SERVING for every
  //     service;
  //  1. close the log: queued appends commit and are answered, new ones fail
  //     with UNAVAILABLE, tails close so subscriptions end with UNAVAILABLE;
  //  2. end append sessions (UNAVAILABLE once their replies are written);
  //  3. stop gRPC: no new calls; once every evstore.v1 call has ended,
  //     the others (health watches, reflection) are cancelled at once;
  //     evstore.v1 calls still open at `deadline` are cancelled;
  //  4. stop the timer and the pools.
  // Idempotent and thread-safe; later calls return at once.
  void Shutdown(absl::Time deadline);

  // Blocks until Shutdown has stopped the gRPC server.
  void Wait();

 private:
  EvstoreServer() = default;

  // Shutdown's step 3: stops grpc_server_, cancelling the calls that are
  // not ours (InFlightCalls) as soon as ours have ended, and ours too at
  // `deadline`.
  void StopGrpc(absl::Time deadline);

  // Destroyed in reverse order: gRPC first, the log, then the metrics it
  // reports to.
  std::shared_ptr<ServerMetrics> metrics_;  // Null without an endpoint.
  std::unique_ptr<MetricsEndpoint> metrics_endpoint_;
  std::unique_ptr<EventLog> log_;
  std::unique_ptr<WorkerPool> disk_pool_;
  std::unique_ptr<WorkerPool> live_pool_;
  std::unique_ptr<HousekeepingTimer> timer_;
  std::unique_ptr<EventStoreService> service_;
  std::unique_ptr<AdminService> admin_service_;
  InFlightCalls in_flight_;  // Outlives grpc_server_, which counts into it.
  std::unique_ptr<grpc::Server> grpc_server_;
  // Serves grpc.health.v1 only (config.health_listen); may be null. The
  // generic service (every other method: UNIMPLEMENTED) outlives it.
  std::unique_ptr<grpc::CallbackGenericService> health_unimplemented_;
  std::unique_ptr<grpc::Server> health_server_;
  std::shared_ptr<WriteHealthReporter> health_reporter_;
  int port_ = 0;
  int health_port_ = 0;

  Mutex shutdown_mu_;
  bool shut_down_ ABSL_GUARDED_BY(shutdown_mu_) = false;
};

}  // namespace evstore::server

#endif  // EVSTORE_SERVER_EVSTORE_SERVER_H_
