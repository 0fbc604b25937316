// MetricsEndpoint: serves a Collectable as Prometheus text on
// http://<address>/metrics (prometheus-cpp's Exposer, an embedded
// civetweb HTTP server with its own threads).
#ifndef EVSTORE_SERVER_METRICS_METRICS_ENDPOINT_H_
#define EVSTORE_SERVER_METRICS_METRICS_ENDPOINT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "prometheus/collectable.h"
#include "prometheus/exposer.h"

namespace evstore::server {

class MetricsEndpoint {
 public:
  // Listens on `address` ("host:port"; port 0 picks a free one) and serves
  // `collectable` at /metrics. UNAVAILABLE when the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<MetricsEndpoint>> Start(
      const std::string& address,
      const std::shared_ptr<prometheus::Collectable>& collectable);

  MetricsEndpoint(const MetricsEndpoint&) = delete;
  MetricsEndpoint& operator=(const MetricsEndpoint&) = delete;
  // Stops serving; waits for a scrape in progress.
  ~MetricsEndpoint() = default;

  // The bound port.
  int port() const { return port_; }

 private:
  MetricsEndpoint() = default;

  std::unique_ptr<prometheus::Exposer> exposer_;
  int port_ = 0;
};

}  // namespace evstore::server

#endif  // EVSTORE_SERVER_METRICS_METRICS_ENDPOINT_H_
