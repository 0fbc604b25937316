#include "bench/catchup_workload.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "bench/bulk_loader.h"
#include "bench/event_factory.h"
#include "bench/feed_checker.h"
#include "bench/measurement.h"

namespace evstore::bench {
namespace {

// The position of the newest event of `customer`'s feed (0 when empty).
absl::StatusOr<std::uint64_t> FeedHead(const client::Client& client,
                                       const std::string& customer) {
  v1::ReadRequest request;
  request.set_customer(customer);
  request.set_direction(v1::READ_DIRECTION_BACKWARDS);
  request.set_max_count(1);
  request.set_include_data(false);
  absl::StatusOr<std::vector<v1::RecordedEvent>> newest =
      client.ReadAll(request);
  if (!newest.ok()) return newest.status();
  return newest->empty() ? 0 : newest->front().position();
}

}  // namespace

absl::StatusOr<RunResult> RunCatchupWorkload(const client::Client& client,
                                             const RunConfig& config,
                                             int server_pid) {
  const std::string customer = EventFactory::CustomerName(0);
  absl::StatusOr<std::uint64_t> head = FeedHead(client, customer);
  if (!head.ok()) return head.status();
  CatchupFigures figures;
  figures.feed_events = config.preload_events;
  if (*head < config.preload_events) {
    absl::StatusOr<BulkLoadResult> loaded =
        BulkLoad(client, BulkLoadFor(config, 1, config.preload_events - *head,
                                     "(catch-up preload)"));
    if (!loaded.ok()) return loaded.status();
    figures.preloaded_events = loaded->events;
    figures.preload_s = loaded->seconds;
  }

  RunResult result;
  result.load_before = ReadLoadAverage();
  const CpuSnapshot cpu_before = TakeCpuSnapshot(server_pid);
  const std::int64_t start_ns = SteadyNowNs();
  v1::SubscribeRequest request;
  request.set_customer(customer);
  request.set_origin(v1::SUBSCRIBE_START_BEGINNING);
  FeedChecker checker(client.Subscribe(request), 0, false);
  checker.SetTarget(config.preload_events);
  // Generous: far below any rate worth measuring.
  const absl::Duration timeout =
      absl::Seconds(60) +
      absl::Seconds(static_cast<double>(config.preload_events) / 20'000);
  const bool complete = checker.Run(timeout);
  const std::int64_t end_ns = SteadyNowNs();
  const CpuSnapshot cpu_after = TakeCpuSnapshot(server_pid);
  result.load_after = ReadLoadAverage();
  result.window_s = static_cast<double>(end_ns - start_ns) / 1e9;
  SetCpuUse(cpu_before, cpu_after, result.window_s, result);
  result.events = checker.events();
  result.bytes = checker.data_bytes();
  if (!complete || !checker.AwaitCaughtUp(absl::Seconds(30))) {
    result.errors = 1;
    result.first_error = absl::StrCat("catch-up read: ", checker.error());
  } else {
    figures.caught_up_s =
        static_cast<double>(checker.caught_up_ns() - start_ns) / 1e9;
  }
  result.catchup = figures;
  return result;
}

}  // namespace evstore::bench
