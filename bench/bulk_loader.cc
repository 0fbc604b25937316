#include "bench/bulk_loader.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace evstore::bench {
namespace {

constexpr absl::Duration kProgressInterval = absl::Seconds(10);

// The first failure of any producer; the others stop when they see it.
class FirstFailure {
 public:
  void Set(const absl::Status& status) {
    absl::MutexLock lock(&mu_);
    if (status_.ok()) status_ = status;
    failed_.store(true, std::memory_order_release);
  }
  bool failed() const { return failed_.load(std::memory_order_acquire); }
  absl::Status status() const {
    absl::MutexLock lock(&mu_);
    return status_;
  }

 private:
  mutable absl::Mutex mu_;
  absl::Status status_ ABSL_GUARDED_BY(mu_);
  std::atomic<bool> failed_{false};
};

}  // namespace

WorkloadShape ShapeOf(const RunConfig& config, int events_per_append,
                      int customers) {
  return {
      .event_bytes = config.event_bytes,
      .events_per_append = events_per_append,
      .customers = customers,
      .streams = config.streams,
      .ids = config.ids == "random" ? IdKind::kRandom : IdKind::kTimeOrdered};
}

BulkLoadOptions BulkLoadFor(const RunConfig& config, int customers,
                            std::uint64_t events, const char* label) {
  BulkLoadOptions options;
  options.shape = ShapeOf(config, config.load_batch, customers);
  options.events = events;
  options.producers = config.load_producers;
  options.label = label;
  return options;
}

absl::StatusOr<BulkLoadResult> BulkLoad(const client::Client& client,
                                        const BulkLoadOptions& options) {
  if (options.producers < 1 || options.shape.events_per_append < 1) {
    return absl::InvalidArgumentError(
        "bulk load: producers and events per append must be at least 1");
  }
  const auto per_append =
      static_cast<std::uint64_t>(options.shape.events_per_append);
  // Producers claim the events of their next append by advancing `claimed`.
  std::atomic<std::uint64_t> claimed{0};
  std::atomic<std::uint64_t> acknowledged{0};
  FirstFailure failure;
  std::random_device entropy;
  const std::uint64_t seed =
      (static_cast<std::uint64_t>(entropy()) << 32) ^ entropy();
  const absl::Time start = absl::Now();
  std::vector<std::thread> producers;
  producers.reserve(static_cast<std::size_t>(options.producers));
  for (int p = 0; p < options.producers; ++p) {
    producers.emplace_back([&, p] {
      EventFactory factory(
          options.shape, p,
          seed + 0x9e3779b97f4a7c15ULL * static_cast<std::uint64_t>(p + 1));
      while (!failure.failed()) {
        const std::uint64_t first = claimed.fetch_add(per_append);
        if (first >= options.events) return;
        const std::uint64_t count =
            std::min(per_append, options.events - first);
        v1::AppendRequest request = factory.Next();
        auto* events = request.mutable_writes(0)->mutable_events();
        while (static_cast<std::uint64_t>(events->size()) > count) {
          events->RemoveLast();
        }
        absl::StatusOr<v1::AppendResponse> response = client.Append(request);
        if (!response.ok()) {
          failure.Set(response.status());
          return;
        }
        acknowledged.fetch_add(count);
      }
    });
  }
  // Progress, until the producers are done.
  absl::Notification done;
  std::thread progress([&] {
    while (!done.WaitForNotificationWithTimeout(kProgressInterval)) {
      const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
      const std::uint64_t so_far = acknowledged.load();
      std::fprintf(stderr,
                   "bulk load %s: %llu of %llu events after %.0f s (%.0f/s)\n",
                   options.label, static_cast<unsigned long long>(so_far),
                   static_cast<unsigned long long>(options.events), seconds,
                   seconds > 0 ? static_cast<double>(so_far) / seconds : 0.0);
    }
  });
  for (std::thread& producer : producers) producer.join();
  done.Notify();
  progress.join();
  if (failure.failed()) {
    return absl::Status(failure.status().code(),
                        absl::StrCat("bulk load ", options.label,
                                     " failed after ", acknowledged.load(),
                                     " events: ", failure.status().message()));
  }
  BulkLoadResult result;
  result.events = acknowledged.load();
  result.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  return result;
}

}  // namespace evstore::bench
