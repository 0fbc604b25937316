// WriteHealthReporter: turns the event log's write health into the standard
// gRPC health service (grpc.health.v1) and the log.
//
//   log OK                 -> SERVING
//   disk almost full       -> SERVING (reads work; appends refused until
//                             space is freed, which passes by itself), warn
//   storage failure        -> NOT_SERVING (fail-stop: appends stay refused
//                             until evstored is restarted), error
//
// Each change is logged once. Shutdown is not reported here: the server
// shuts the health service down first, which makes every service
// NOT_SERVING and ignores later updates.
#ifndef EVSTORE_SERVER_WRITE_HEALTH_REPORTER_H_
#define EVSTORE_SERVER_WRITE_HEALTH_REPORTER_H_

#include <atomic>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "grpcpp/health_check_service_interface.h"
#include "server/housekeeping_timer.h"
#include "storage/event_log.h"

namespace evstore::server {

class WriteHealthReporter : public HousekeepingTimer::Client {
 public:
  // Reports for the overall server ("") and each of `services`, to every
  // health service in `health` (the main server's and the health-only
  // listener's, see --health_listen). `log` and `health` must outlive the
  // reporter's ticks.
  WriteHealthReporter(EventLog* log,
                      std::vector<grpc::HealthCheckServiceInterface*> health,
                      std::vector<std::string> services);

  // Checks the log's write health; called on the timer thread only.
  void OnTick(absl::Time now) override;

  // Stops reporting (the server is shutting down and closing the log).
  // Thread-safe.
  void Stop() { stopped_.store(true); }

 private:
  void SetServing(bool serving);

  EventLog* const log_;
  const std::vector<grpc::HealthCheckServiceInterface*> health_;
  const std::vector<std::string> services_;
  absl::StatusCode last_code_ = absl::StatusCode::kOk;  // Timer thread only.
  std::atomic<bool> stopped_{false};
};

}  // namespace evstore::server

#endif  // EVSTORE_SERVER_WRITE_HEALTH_REPORTER_H_
