// The benchmark's output: a human-readable table and one JSON line.
#ifndef EVSTORE_BENCH_REPORT_H_
#define EVSTORE_BENCH_REPORT_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bench/measurement.h"
#include "bench/workload_figures.h"

namespace evstore::bench {

struct RunConfig {
  std::string address;
  // The access token every client of the run sends (never reported).
  std::string token;
  // "batched", "single", "latency", "catchup", "growth" or
  // "idle_subscribers".
  std::string workload;
  std::string transport;    // "unary" or "session"
  std::string session_api;  // "callback" or "future" (session only)
  int producers = 0;
  int sessions = 0;  // session transport only
  int batch = 0;
  std::size_t event_bytes = 0;
  int customers = 0;
  int streams = 0;
  std::string ids;  // "random" or "time-ordered"
  double duration_s = 0;
  double warmup_s = 0;
  std::string label;
  // The latency workload only (W3): live subscribers and the fixed rate of
  // events per second the producers send at. These fields (and the result's
  // deliveries) appear in the output only for that workload.
  int subscribers = 0;
  double rate = 0;
  // The bulk loads of catchup (preload) and growth (fill): producers and
  // events per append.
  int load_producers = 0;
  int load_batch = 0;
  std::uint64_t preload_events = 0;  // catchup: the feed's length.
  std::uint64_t growth_events = 0;   // growth: the store's size to fill to.
  double growth_settle_s = 0;        // growth: idle time after the fill.
  std::string server_data_dir;       // growth: measured with du after the fill.
  int idle_subscriptions = 0;        // idle_subscribers
  int idle_connections = 0;          // idle_subscribers
  std::string idle_kind;             // idle_subscribers: quiet or filtered
};

// Whether the workload's counts are those of W3 (fixed rate, deliveries to
// live subscribers, latency from send to receipt).
bool IsLatencyWorkload(const std::string& workload);

struct RunResult {
  double window_s = 0;  // The measured window, as it really lasted.
  std::uint64_t appends = 0;
  std::uint64_t events = 0;
  std::uint64_t bytes = 0;
  std::uint64_t total_events = 0;  // Acked at any time (warm-up, drain).
  // The latency workload: deliveries to subscribers of events sent in the
  // window (the latency samples are theirs), and of all events sent at any
  // time against those expected (every subscriber of the event's customer).
  std::uint64_t window_deliveries = 0;
  std::uint64_t total_deliveries = 0;
  std::uint64_t expected_deliveries = 0;
  LatencySummary latency;
  std::uint64_t errors = 0;
  std::string first_error;
  // CPU used during the window, in cores (CPU seconds per second).
  double client_cpu_cores = 0;
  std::optional<double> server_cpu_cores;
  // The server's busiest threads in the window (with --server_pid).
  std::vector<ThreadLoad> server_threads;
  std::optional<std::array<double, 3>> load_before;
  std::optional<std::array<double, 3>> load_after;
  // Set only by the workload they belong to.
  std::optional<CatchupFigures> catchup;
  std::optional<GrowthFigures> growth;
  std::optional<IdleFigures> idle;

  double EventsPerSecond() const;
  double AppendsPerSecond() const;
  double MegabytesPerSecond() const;  // Payload bytes, 10^6 bytes.
};

// Sets the result's CPU use (client, server and its busiest threads) from
// two readings taken `interval_s` apart.
void SetCpuUse(const CpuSnapshot& before, const CpuSnapshot& after,
               double interval_s, RunResult& result);

// A few lines: the configuration, then a table row of results.
std::string FormatTable(const RunConfig& config, const RunResult& result);

// One JSON object on one line (no trailing newline).
std::string FormatJson(const RunConfig& config, const RunResult& result);

// JSON text of a string, and of a number with `decimals` decimals (null when
// not finite).
std::string JsonString(const std::string& text);
std::string JsonNumber(double value, int decimals);

}  // namespace evstore::bench

#endif  // EVSTORE_BENCH_REPORT_H_
