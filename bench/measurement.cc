#include "bench/measurement.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace evstore::bench {
namespace {

double Percentile(const std::vector<std::int64_t>& sorted, double q) {
  // Nearest rank: the smallest sample with at least q of all samples at or
  // below it.
  const double rank = std::ceil(q * static_cast<double>(sorted.size()));
  std::size_t index = rank < 1 ? 0 : static_cast<std::size_t>(rank) - 1;
  index = std::min(index, sorted.size() - 1);
  return static_cast<double>(sorted[index]) / 1e6;
}

double TimevalSeconds(const timeval& tv) {
  return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
}

}  // namespace

LatencySummary Summarize(std::vector<std::int64_t>& samples_ns) {
  LatencySummary summary;
  if (samples_ns.empty()) return summary;
  std::sort(samples_ns.begin(), samples_ns.end());
  summary.samples = samples_ns.size();
  summary.p50_ms = Percentile(samples_ns, 0.50);
  summary.p90_ms = Percentile(samples_ns, 0.90);
  summary.p99_ms = Percentile(samples_ns, 0.99);
  summary.p999_ms = Percentile(samples_ns, 0.999);
  summary.max_ms = static_cast<double>(samples_ns.back()) / 1e6;
  long double total = 0;
  for (std::int64_t ns : samples_ns) total += static_cast<long double>(ns);
  summary.mean_ms = static_cast<double>(
      total / static_cast<long double>(samples_ns.size()) / 1e6L);
  return summary;
}

std::optional<std::array<double, 3>> ReadLoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::array<double, 3> load{};
  if (!(in >> load[0] >> load[1] >> load[2])) return std::nullopt;
  return load;
}

std::uint64_t ProcessRssBytes(int pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      return std::stoull(line.substr(6)) * 1024;  // Reported in kB.
    }
  }
  return 0;
}

double SelfCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return TimevalSeconds(usage.ru_utime) + TimevalSeconds(usage.ru_stime);
}

namespace {

// User+system seconds from a /proc/.../stat file.
std::optional<double> StatCpuSeconds(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  // The command name (field 2) is in parentheses and may contain spaces;
  // fields after the last ')' start with field 3 (state).
  const std::size_t close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(line.substr(close + 2));
  std::string field;
  double utime = 0, stime = 0;
  // utime and stime are fields 14 and 15, i.e. the 12th and 13th here.
  for (int i = 3; i <= 15; ++i) {
    if (!(fields >> field)) return std::nullopt;
    if (i == 14) utime = std::stod(field);
    if (i == 15) stime = std::stod(field);
  }
  const long ticks = sysconf(_SC_CLK_TCK);
  if (ticks <= 0) return std::nullopt;
  return (utime + stime) / static_cast<double>(ticks);
}

}  // namespace

std::optional<double> ProcessCpuSeconds(int pid) {
  return StatCpuSeconds(absl::StrCat("/proc/", pid, "/stat"));
}

namespace {

// The parent pid (field 4) from a /proc/<pid>/stat file, or -1.
int StatParentPid(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!std::getline(in, line)) return -1;
  const std::size_t close = line.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream fields(line.substr(close + 2));
  std::string state;
  int parent = -1;
  if (!(fields >> state >> parent)) return -1;
  return parent;
}

}  // namespace

std::optional<double> ProcessTreeCpuSeconds(int pid) {
  std::optional<double> total = ProcessCpuSeconds(pid);
  if (!total.has_value()) return std::nullopt;
  std::error_code error;
  for (const auto& entry :
       std::filesystem::directory_iterator("/proc", error)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() ||
        name.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    const std::string stat = entry.path().string() + "/stat";
    if (StatParentPid(stat) != pid) continue;
    // A child that exits between the two reads is simply skipped.
    if (std::optional<double> child = StatCpuSeconds(stat)) *total += *child;
  }
  return total;
}

std::map<int, ThreadCpu> ThreadCpuSeconds(int pid) {
  std::map<int, ThreadCpu> threads;
  std::error_code error;
  const std::string task_dir = absl::StrCat("/proc/", pid, "/task");
  for (const auto& entry :
       std::filesystem::directory_iterator(task_dir, error)) {
    const std::string tid_text = entry.path().filename().string();
    int tid = 0;
    try {
      tid = std::stoi(tid_text);
    } catch (...) {
      continue;
    }
    std::optional<double> seconds =
        StatCpuSeconds(entry.path().string() + "/stat");
    if (!seconds.has_value()) continue;  // The thread ended meanwhile.
    ThreadCpu cpu;
    cpu.seconds = *seconds;
    std::ifstream comm(entry.path().string() + "/comm");
    std::getline(comm, cpu.name);
    threads.emplace(tid, std::move(cpu));
  }
  return threads;
}

std::vector<ThreadLoad> BusiestThreads(const std::map<int, ThreadCpu>& before,
                                       const std::map<int, ThreadCpu>& after,
                                       double window_s, std::size_t limit) {
  std::vector<ThreadLoad> loads;
  if (!(window_s > 0)) return loads;
  for (const auto& [tid, cpu] : after) {
    auto it = before.find(tid);
    const double start = it == before.end() ? 0 : it->second.seconds;
    loads.push_back({tid, cpu.name, (cpu.seconds - start) / window_s});
  }
  std::sort(loads.begin(), loads.end(),
            [](const ThreadLoad& a, const ThreadLoad& b) {
              return a.cores > b.cores;
            });
  if (loads.size() > limit) loads.resize(limit);
  return loads;
}

CpuSnapshot TakeCpuSnapshot(int server_pid) {
  CpuSnapshot snapshot;
  snapshot.client = SelfCpuSeconds();
  if (server_pid > 0) {
    snapshot.server = ProcessCpuSeconds(server_pid);
    snapshot.server_threads = ThreadCpuSeconds(server_pid);
  }
  return snapshot;
}

}  // namespace evstore::bench
