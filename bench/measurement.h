// What one benchmark run measured, and the machine-side readings around it
// (CPU time of processes, load average).
#ifndef EVSTORE_BENCH_MEASUREMENT_H_
#define EVSTORE_BENCH_MEASUREMENT_H_

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace evstore::bench {

// What one producer observed. Owned and written by that producer only; read
// by the main thread after the producer has finished.
struct ProducerStats {
  // Appends acknowledged inside the measurement window and their contents.
  std::uint64_t appends = 0;
  std::uint64_t events = 0;
  std::uint64_t bytes = 0;  // Event payload bytes.
  // Latency (send to acknowledgement) of each of those appends, ns.
  std::vector<std::int64_t> latencies_ns;
  // Every acknowledged append, also during warm-up and drain: with the
  // server's fsync count this gives events per fsync.
  std::uint64_t total_events = 0;
  // Failed appends (at any time) and the first failure.
  std::uint64_t errors = 0;
  std::string first_error;
};

struct LatencySummary {
  double p50_ms = 0, p90_ms = 0, p99_ms = 0, p999_ms = 0, max_ms = 0,
         mean_ms = 0;
  std::uint64_t samples = 0;
};

// Nearest-rank percentiles over all samples (sorts `samples_ns`).
LatencySummary Summarize(std::vector<std::int64_t>& samples_ns);

// The 1-, 5- and 15-minute load averages, or nothing when unreadable.
std::optional<std::array<double, 3>> ReadLoadAverage();

// User+system CPU time consumed so far, in seconds: of this process, or of
// process `pid` (from /proc/<pid>/stat; nothing when unreadable).
double SelfCpuSeconds();
std::optional<double> ProcessCpuSeconds(int pid);

// Resident memory of process `pid` in bytes (VmRSS from /proc/<pid>/status),
// or 0 when unreadable.
std::uint64_t ProcessRssBytes(int pid);

// CPU time so far of process `pid` plus its live direct children (a
// PostgreSQL postmaster and its backends), in seconds; nothing when `pid` is
// unreadable. Children that exited meanwhile are not counted.
std::optional<double> ProcessTreeCpuSeconds(int pid);

// CPU time so far of each thread of process `pid`, by thread id, with the
// thread's name (from /proc/<pid>/task; empty when unreadable).
struct ThreadCpu {
  std::string name;
  double seconds = 0;
};
std::map<int, ThreadCpu> ThreadCpuSeconds(int pid);

// The busiest threads between two readings: CPU use in cores over
// `window_s`, highest first, at most `limit`.
struct ThreadLoad {
  int tid = 0;
  std::string name;
  double cores = 0;
};
std::vector<ThreadLoad> BusiestThreads(const std::map<int, ThreadCpu>& before,
                                       const std::map<int, ThreadCpu>& after,
                                       double window_s, std::size_t limit);

// The CPU time so far of this process and, when `server_pid` > 0, of the
// server process and each of its threads; two readings give the CPU use
// over the time between them.
struct CpuSnapshot {
  double client = 0;
  std::optional<double> server;
  std::map<int, ThreadCpu> server_threads;
};
CpuSnapshot TakeCpuSnapshot(int server_pid);

}  // namespace evstore::bench

#endif  // EVSTORE_BENCH_MEASUREMENT_H_
