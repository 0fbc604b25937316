// The benchmark's output: a human-readable table and one JSON line.
#ifndef EVSTORE_BENCH_REPORT_H_
#define EVSTORE_BENCH_REPORT_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bench/measurement.h"

namespace evstore::bench {

struct RunConfig {
  std::string address;
  std::string workload;     // "batched", "single" or "latency"
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
};

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

  double EventsPerSecond() const;
  double AppendsPerSecond() const;
  double MegabytesPerSecond() const;  // Payload bytes, 10^6 bytes.
};

// A few lines: the configuration, then a table row of results.
std::string FormatTable(const RunConfig& config, const RunResult& result);

// One JSON object on one line (no trailing newline).
std::string FormatJson(const RunConfig& config, const RunResult& result);

}  // namespace evstore::bench

#endif  // EVSTORE_BENCH_REPORT_H_
