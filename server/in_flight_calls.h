// Counts the evstore.v1 calls in progress (EventStoreService and
// AdminService), so that shutdown can wait for exactly those and then cancel
// what is left. gRPC's own services never end some calls by themselves: a
// grpc.health.v1 Watch (gRPC clients with health checking open one per
// connection) or a reflection stream stays open until the server cancels
// it, so waiting for every call would always take the whole shutdown
// timeout.
#ifndef EVSTORE_SERVER_IN_FLIGHT_CALLS_H_
#define EVSTORE_SERVER_IN_FLIGHT_CALLS_H_

#include <atomic>
#include <cstdint>
#include <memory>

#include "absl/time/time.h"
#include "grpcpp/support/server_interceptor.h"

namespace evstore::server {

class InFlightCalls {
 public:
  // The method-name prefix of the counted calls.
  static constexpr char kCountedPrefix[] = "/evstore.v1.";

  // A factory to give grpc::ServerBuilder (SetInterceptorCreators): it puts
  // a counting interceptor on every call, counted as ours when its method is
  // under kCountedPrefix and as another's otherwise. A call counts from its
  // start until gRPC destroys it (after the reactor's OnDone). `this` must
  // outlive the server.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
  MakeInterceptorFactory();

  // evstore.v1 calls in progress now.
  int64_t ours() const { return ours_.load(std::memory_order_acquire); }
  // Other calls (grpc.health.v1, reflection) in progress now.
  int64_t others() const { return others_.load(std::memory_order_acquire); }

  // Waits until no evstore.v1 call is in progress, or until `deadline`; true
  // when none is. Polls (every 5 ms): for shutdown only.
  bool WaitUntilIdle(absl::Time deadline) const;

 private:
  class Interceptor;
  class Factory;

  std::atomic<int64_t> ours_{0};
  std::atomic<int64_t> others_{0};
};

}  // namespace evstore::server

#endif  // EVSTORE_SERVER_IN_FLIGHT_CALLS_H_
