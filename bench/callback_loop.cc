#include "bench/callback_loop.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "base/mutex.h"
#include "bench/measurement.h"
#include "bench/stamped_payload.h"

namespace evstore::bench {
namespace {

constexpr absl::Duration kDrainTimeout = absl::Seconds(60);

// Shared by the driver and every callback (a late one may outlive the run).
struct LoopState {
  explicit LoopState(const DriverOptions& options, CallbackSend send_function)
      : send(std::move(send_function)),
        stats(static_cast<std::size_t>(options.producers)),
        sent_ns(static_cast<std::size_t>(options.producers)),
        running(options.producers),
        finished(static_cast<std::size_t>(options.producers), false) {}

  // Constant once the producers start.
  const CallbackSend send;
  std::int64_t warm_end_ns = 0;
  std::int64_t end_ns = 0;

  std::atomic<bool> stop{false};
  // Element p: producer p's only, written by one callback at a time (each
  // send follows the previous reply); read once finished[p] is set.
  std::vector<ProducerStats> stats;
  std::vector<std::int64_t> sent_ns;

  Mutex mu;
  int running ABSL_GUARDED_BY(mu);
  std::vector<bool> finished ABSL_GUARDED_BY(mu);
};

void Finish(LoopState& state, int p) {
  MutexLock lock(&state.mu);
  state.finished[static_cast<std::size_t>(p)] = true;
  --state.running;
}

void SendNext(const std::shared_ptr<LoopState>& state, int p) {
  if (state->stop.load(std::memory_order_relaxed)) {
    Finish(*state, p);
    return;
  }
  const auto index = static_cast<std::size_t>(p);
  state->sent_ns[index] = MonotonicNowNs();
  state->send(p, [state, p, index](absl::StatusOr<AppendOutcome> outcome) {
    const std::int64_t acked = MonotonicNowNs();
    ProducerStats& mine = state->stats[index];
    if (!outcome.ok()) {
      ++mine.errors;
      if (mine.first_error.empty()) {
        mine.first_error = outcome.status().ToString();
      }
      Finish(*state, p);
      return;
    }
    mine.total_events += static_cast<std::uint64_t>(outcome->events);
    if (acked >= state->warm_end_ns && acked < state->end_ns) {
      ++mine.appends;
      mine.events += static_cast<std::uint64_t>(outcome->events);
      mine.bytes += outcome->bytes;
      mine.latencies_ns.push_back(acked - state->sent_ns[index]);
    }
    SendNext(state, p);
  });
}

void SleepUntilNs(std::int64_t deadline_ns) {
  const std::int64_t now = MonotonicNowNs();
  if (deadline_ns > now) {
    std::this_thread::sleep_for(std::chrono::nanoseconds(deadline_ns - now));
  }
}

struct CpuReading {
  double client = 0;
  std::optional<double> server;
};

CpuReading ReadCpu(const DriverOptions& options) {
  CpuReading reading;
  reading.client = SelfCpuSeconds();
  if (options.server_pid > 0) {
    reading.server = options.server_is_process_tree
                         ? ProcessTreeCpuSeconds(options.server_pid)
                         : ProcessCpuSeconds(options.server_pid);
  }
  return reading;
}

}  // namespace

RunResult RunCallbackLoop(const DriverOptions& options,
                          const CallbackSend& send) {
  auto state = std::make_shared<LoopState>(options, send);
  const std::int64_t start = MonotonicNowNs();
  state->warm_end_ns =
      start + static_cast<std::int64_t>(options.warmup_s * 1e9);
  state->end_ns =
      state->warm_end_ns + static_cast<std::int64_t>(options.duration_s * 1e9);
  for (int p = 0; p < options.producers; ++p) SendNext(state, p);

  RunResult result;
  SleepUntilNs(state->warm_end_ns);
  result.load_before = ReadLoadAverage();
  const CpuReading before = ReadCpu(options);
  const std::int64_t window_start = MonotonicNowNs();
  SleepUntilNs(state->end_ns);
  const CpuReading after = ReadCpu(options);
  const double interval_s =
      static_cast<double>(MonotonicNowNs() - window_start) / 1e9;
  result.load_after = ReadLoadAverage();
  state->stop.store(true);

  result.window_s =
      static_cast<double>(state->end_ns - state->warm_end_ns) / 1e9;
  result.client_cpu_cores = (after.client - before.client) / interval_s;
  if (before.server.has_value() && after.server.has_value()) {
    result.server_cpu_cores = (*after.server - *before.server) / interval_s;
  }

  std::vector<std::int64_t> latencies;
  MutexLock lock(&state->mu);
  state->mu.AwaitWithTimeout(
      absl::Condition(
          +[](int* running) { return *running == 0; }, &state->running),
      kDrainTimeout);
  for (std::size_t p = 0; p < state->stats.size(); ++p) {
    if (!state->finished[p]) {
      ++result.errors;
      if (result.first_error.empty()) {
        result.first_error =
            absl::StrCat("no reply within ",
                         absl::FormatDuration(kDrainTimeout), " after the run");
      }
      continue;
    }
    ProducerStats& s = state->stats[p];
    result.appends += s.appends;
    result.events += s.events;
    result.bytes += s.bytes;
    result.total_events += s.total_events;
    result.errors += s.errors;
    if (result.first_error.empty()) result.first_error = s.first_error;
    latencies.insert(latencies.end(), s.latencies_ns.begin(),
                     s.latencies_ns.end());
    std::vector<std::int64_t>().swap(s.latencies_ns);
  }
  result.latency = Summarize(latencies);
  return result;
}

}  // namespace evstore::bench
