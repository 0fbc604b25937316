// CeilingServer: the server side of evstore-grpc-ceiling. Serves
// evstore.bench.v1.CeilingService (bench/proto/ceiling.proto) with handlers
// that do no work, on a gRPC server built with evstored's options (callback
// API, message size limit, channel arguments; see server/evstore_server.cc),
// so that a client measures what gRPC alone costs per call.
//
//   Unary  answers at once.
//   Bidi   keeps one read in flight; answers every request at once, in order,
//          with one write in flight (the rest queue). The queue is unbounded:
//          the client bounds it by its own number of requests in flight.
//
// Each response echoes the request's correlation id and carries it as both
// positions (all zero for an empty request, so that response is empty too).
#ifndef EVSTORE_BENCH_CEILING_SERVER_H_
#define EVSTORE_BENCH_CEILING_SERVER_H_

#include <grpcpp/server.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace evstore::bench {

class CeilingServiceImpl;  // Defined in ceiling_server.cc.

// Thread-safety: not thread-safe; Shutdown() is meant for the thread that
// started the server.
class CeilingServer {
 public:
  // Listens on `listen` (host:port; port 0 picks a free one) and serves.
  static absl::StatusOr<std::unique_ptr<CeilingServer>> Start(
      const std::string& listen);

  // Shuts down (cancelling calls still open at `deadline`) and waits.
  ~CeilingServer();

  CeilingServer(const CeilingServer&) = delete;
  CeilingServer& operator=(const CeilingServer&) = delete;

  int port() const { return port_; }

  // Stops accepting calls; calls still open at `deadline` are cancelled.
  // Returns once every call has ended. Later calls do nothing.
  void Shutdown(absl::Time deadline);

 private:
  CeilingServer();

  std::unique_ptr<CeilingServiceImpl> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  bool shut_down_ = false;
};

}  // namespace evstore::bench

#endif  // EVSTORE_BENCH_CEILING_SERVER_H_
