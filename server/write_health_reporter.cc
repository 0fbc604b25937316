#include "server/write_health_reporter.h"

#include <utility>

#include "spdlog/spdlog.h"
#include "storage/absl_string_view.h"

namespace evstore::server {

WriteHealthReporter::WriteHealthReporter(
    EventLog* log, std::vector<grpc::HealthCheckServiceInterface*> health,
    std::vector<std::string> services)
    : log_(log), health_(std::move(health)), services_(std::move(services)) {
  SetServing(true);
}

void WriteHealthReporter::SetServing(bool serving) {
  for (grpc::HealthCheckServiceInterface* health : health_) {
    health->SetServingStatus(serving);
    for (const std::string& service : services_) {
      health->SetServingStatus(service, serving);
    }
  }
}

void WriteHealthReporter::OnTick(absl::Time /*now*/) {
  if (stopped_.load()) return;
  const absl::Status health = log_->WriteHealth();
  if (health.code() == last_code_) return;
  last_code_ = health.code();
  switch (health.code()) {
    case absl::StatusCode::kOk:
      spdlog::info("appends are accepted again");
      SetServing(true);
      break;
    case absl::StatusCode::kResourceExhausted:
      spdlog::warn("{}", AsStd(health.message()));
      SetServing(true);
      break;
    default:
      spdlog::error(
          "storage failure: {}; health is NOT_SERVING and appends are "
          "refused until evstored is restarted (reads keep working)",
          AsStd(health.message()));
      SetServing(false);
      break;
  }
}

}  // namespace evstore::server
