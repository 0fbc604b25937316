#include "server/metrics/metrics_endpoint.h"

#include <exception>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace evstore::server {

absl::StatusOr<std::unique_ptr<MetricsEndpoint>> MetricsEndpoint::Start(
    const std::string& address,
    const std::shared_ptr<prometheus::Collectable>& collectable) {
  std::unique_ptr<MetricsEndpoint> endpoint(new MetricsEndpoint());
  try {
    // One thread: scrapes are rare, and each takes the metrics' locks.
    endpoint->exposer_ =
        std::make_unique<prometheus::Exposer>(address, /*num_threads=*/1);
  } catch (const std::exception& error) {
    // civetweb throws when it cannot bind.
    return absl::UnavailableError(
        absl::StrCat("cannot serve metrics on ", address, ": ", error.what(),
                     " (the address is in use or not available on this "
                     "host; --metrics_address= disables the endpoint)"));
  }
  const std::vector<int> ports = endpoint->exposer_->GetListeningPorts();
  if (ports.empty() || ports.front() <= 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot serve metrics on ", address,
                     ": the HTTP server reports no listening port"));
  }
  endpoint->port_ = ports.front();
  endpoint->exposer_->RegisterCollectable(collectable, "/metrics");
  return endpoint;
}

}  // namespace evstore::server
