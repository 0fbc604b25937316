#include "server/metrics/process_metrics.h"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <system_error>

namespace evstore::server {
namespace {

prometheus::MetricFamily Family(const char* name, const char* help,
                                prometheus::MetricType type, double value) {
  prometheus::MetricFamily family;
  family.name = name;
  family.help = help;
  family.type = type;
  prometheus::ClientMetric metric;
  if (type == prometheus::MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  family.metric.push_back(metric);
  return family;
}

// The fields of /proc/self/stat after the command name (which may contain
// spaces, so the text after its closing parenthesis): field 3 (state) first.
std::optional<std::vector<std::string>> StatFields() {
  std::ifstream in("/proc/self/stat");
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  const size_t end_of_name = line.rfind(')');
  if (end_of_name == std::string::npos) return std::nullopt;
  std::istringstream rest(line.substr(end_of_name + 1));
  std::vector<std::string> fields;
  for (std::string field; rest >> field;) fields.push_back(field);
  return fields;
}

std::optional<double> BootTimeSeconds() {
  std::ifstream in("/proc/stat");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("btime ", 0) == 0) return std::stod(line.substr(6));
  }
  return std::nullopt;
}

std::optional<double> OpenFds() {
  std::error_code error;
  std::filesystem::directory_iterator it("/proc/self/fd", error);
  if (error) return std::nullopt;
  double count = 0;
  for (; it != std::filesystem::directory_iterator(); it.increment(error)) {
    if (error) return std::nullopt;
    ++count;
  }
  return count;
}

}  // namespace

std::vector<prometheus::MetricFamily> CollectProcessMetrics() {
  using prometheus::MetricType;
  std::vector<prometheus::MetricFamily> families;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page_bytes = static_cast<double>(sysconf(_SC_PAGESIZE));
  // Numbering of proc(5), field 3 at index 0: utime 14, stime 15,
  // num_threads 20, starttime 22, vsize 23, rss 24.
  if (std::optional<std::vector<std::string>> stat = StatFields();
      stat && stat->size() >= 22 && ticks > 0) {
    const auto field = [&](int number) {
      return std::stod((*stat)[static_cast<size_t>(number - 3)]);
    };
    families.push_back(Family("process_cpu_seconds_total",
                              "Total user and system CPU time spent in "
                              "seconds.",
                              MetricType::Counter,
                              (field(14) + field(15)) / ticks));
    families.push_back(Family("process_threads", "Number of OS threads.",
                              MetricType::Gauge, field(20)));
    families.push_back(Family("process_virtual_memory_bytes",
                              "Virtual memory size in bytes.",
                              MetricType::Gauge, field(23)));
    families.push_back(Family("process_resident_memory_bytes",
                              "Resident memory size in bytes.",
                              MetricType::Gauge, field(24) * page_bytes));
    if (std::optional<double> boot = BootTimeSeconds()) {
      families.push_back(Family("process_start_time_seconds",
                                "Start time of the process since unix epoch "
                                "in seconds.",
                                MetricType::Gauge, *boot + field(22) / ticks));
    }
  }
  if (std::optional<double> fds = OpenFds()) {
    families.push_back(Family("process_open_fds",
                              "Number of open file descriptors.",
                              MetricType::Gauge, *fds));
  }
  if (rlimit limit{}; getrlimit(RLIMIT_NOFILE, &limit) == 0 &&
                      limit.rlim_cur != RLIM_INFINITY) {
    families.push_back(
        Family("process_max_fds", "Maximum number of open file descriptors.",
               MetricType::Gauge, static_cast<double>(limit.rlim_cur)));
  }
  return families;
}

}  // namespace evstore::server
