#include "bench/growth_workload.h"

#include <cstdint>
#include <filesystem>
#include <random>
#include <system_error>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/bulk_loader.h"
#include "bench/event_factory.h"

namespace evstore::bench {
namespace {

// One W2 run: each producer appends its own EventFactory's requests.
RunResult RunBatched(const client::Client& client, const RunConfig& config,
                     const DriverOptions& driver) {
  std::random_device entropy;
  const std::uint64_t seed =
      (static_cast<std::uint64_t>(entropy()) << 32) ^ entropy();
  std::vector<EventFactory> factories;
  factories.reserve(static_cast<std::size_t>(driver.producers));
  for (int p = 0; p < driver.producers; ++p) {
    factories.emplace_back(
        ShapeOf(config, config.batch, config.customers), p,
        seed + 0x9e3779b97f4a7c15ULL * static_cast<std::uint64_t>(p + 1));
  }
  return RunClosedLoop(driver, [&](int p) -> absl::StatusOr<AppendOutcome> {
    v1::AppendRequest request = factories[static_cast<std::size_t>(p)].Next();
    absl::StatusOr<v1::AppendResponse> response = client.Append(request);
    if (!response.ok()) return response.status();
    return AppendOutcome{
        .events = config.batch,
        .bytes = static_cast<std::size_t>(config.batch) * config.event_bytes};
  });
}

BatchedFigures Figures(const RunResult& run) {
  return {.events_per_s = run.EventsPerSecond(),
          .mb_per_s = run.MegabytesPerSecond(),
          .latency = run.latency,
          .server_cpu_cores = run.server_cpu_cores,
          .errors = run.errors};
}

// Bytes of the files under `directory` (what `du --apparent-size` counts),
// or nothing when it cannot be walked.
std::optional<std::uint64_t> DirectoryBytes(const std::string& directory) {
  std::error_code error;
  std::uint64_t total = 0;
  for (auto it =
           std::filesystem::recursive_directory_iterator(directory, error);
       !error && it != std::filesystem::recursive_directory_iterator();
       it.increment(error)) {
    std::error_code size_error;
    if (it->is_regular_file(size_error)) {
      const std::uintmax_t size = it->file_size(size_error);
      if (!size_error) total += size;
    }
  }
  if (error) return std::nullopt;
  return total;
}

}  // namespace

absl::StatusOr<RunResult> RunGrowthWorkload(const client::Client& client,
                                            const RunConfig& config,
                                            const DriverOptions& driver) {
  GrowthFigures figures;
  const RunResult empty = RunBatched(client, config, driver);
  figures.empty = Figures(empty);

  const std::uint64_t held = empty.total_events;
  if (held < config.growth_events) {
    absl::StatusOr<BulkLoadResult> filled = BulkLoad(
        client, BulkLoadFor(config, config.customers,
                            config.growth_events - held, "(growth fill)"));
    if (!filled.ok()) return filled.status();
    figures.fill_events = filled->events;
    figures.fill_s = filled->seconds;
  }
  figures.store_events = held + figures.fill_events;
  if (!config.server_data_dir.empty()) {
    figures.disk_bytes = DirectoryBytes(config.server_data_dir);
  }
  figures.settle_s = config.growth_settle_s;
  absl::SleepFor(absl::Seconds(config.growth_settle_s));

  RunResult full = RunBatched(client, config, driver);
  figures.full = Figures(full);
  if (empty.errors > 0) {
    full.errors += empty.errors;
    full.first_error = absl::StrCat("empty-store run: ", empty.first_error);
  }
  full.growth = figures;
  return full;
}

}  // namespace evstore::bench
