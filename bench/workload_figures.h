// The figures of the workloads that measure more than one window of appends
// (W4 catch-up, W5 growth, W6 idle subscribers). Each is an optional part of
// RunResult (bench/report.h) and appears in the table and, as one nested
// object named after the workload, in the JSON line.
#ifndef EVSTORE_BENCH_WORKLOAD_FIGURES_H_
#define EVSTORE_BENCH_WORKLOAD_FIGURES_H_

#include <cstdint>
#include <optional>
#include <string>

#include "bench/measurement.h"

namespace evstore::bench {

// W4: one subscriber reads a preloaded feed from its start. The read itself
// (events, payload bytes, window from Subscribe to the last event, CPU) is in
// RunResult's counts.
struct CatchupFigures {
  std::uint64_t feed_events = 0;       // Events the subscriber had to read.
  std::uint64_t preloaded_events = 0;  // Appended by this run (0: skipped).
  double preload_s = 0;                // Wall time of that preload.
  double caught_up_s = 0;              // Subscribe until the caught_up message.
};

// One W2 window (closed-loop batched unary Appends).
struct BatchedFigures {
  double events_per_s = 0;
  double mb_per_s = 0;
  LatencySummary latency;  // Append to acknowledgement.
  std::optional<double> server_cpu_cores;
  std::uint64_t errors = 0;
};

// W5: W2 on an empty store, then on a store filled to `store_events`.
struct GrowthFigures {
  BatchedFigures empty;
  BatchedFigures full;
  // Events this run appended before `full` (the empty run's and the
  // fill's): the store's size when the server started empty.
  std::uint64_t store_events = 0;
  std::uint64_t fill_events = 0;  // Appended by the fill between the two.
  double fill_s = 0;
  double settle_s = 0;  // Idle time between the fill and `full`.
  // Bytes under the server's data directory after the fill (when known).
  std::optional<std::uint64_t> disk_bytes;
  // full / empty events per second (0 when empty measured nothing).
  double Ratio() const;
};

// W6: idle subscriptions held open while W3 runs; the W3 figures are in
// RunResult's counts and latency.
struct IdleFigures {
  int subscriptions = 0;
  int connections = 0;
  std::string kind;   // "quiet" or "filtered" (see the workload's header).
  double open_s = 0;  // Until every idle subscription had caught up.
  // Server VmRSS before the idle subscriptions, once they are all open, and
  // the highest sample from before they opened to the end of W3.
  std::uint64_t rss_before_bytes = 0;
  std::uint64_t rss_idle_bytes = 0;
  std::uint64_t rss_max_bytes = 0;
  std::uint64_t heartbeats = 0;         // Received by idle subscriptions.
  std::uint64_t unexpected_events = 0;  // Events they received (must be 0).
  std::uint64_t failures = 0;           // Idle subscriptions that ended.
};

// Table lines (each ending in '\n') and JSON objects (no trailing newline).
std::string FormatCatchupTable(const CatchupFigures& figures);
std::string FormatCatchupJson(const CatchupFigures& figures);
std::string FormatGrowthTable(const GrowthFigures& figures);
std::string FormatGrowthJson(const GrowthFigures& figures);
std::string FormatIdleTable(const IdleFigures& figures);
std::string FormatIdleJson(const IdleFigures& figures);

}  // namespace evstore::bench

#endif  // EVSTORE_BENCH_WORKLOAD_FIGURES_H_
