#include "bench/load_driver.h"

#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "bench/measurement.h"
#include "bench/stamped_payload.h"

namespace evstore::bench {
namespace {

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

std::int64_t SecondsToNs(double seconds) {
  return static_cast<std::int64_t>(seconds * 1e9);
}

// Sleeps until MonotonicNowNs() reaches `deadline_ns`.
void SleepUntilNs(std::int64_t deadline_ns) {
  const std::int64_t now = MonotonicNowNs();
  if (deadline_ns > now) {
    std::this_thread::sleep_for(std::chrono::nanoseconds(deadline_ns - now));
  }
}

// Measures the window [warm_end_ns, end_ns): load average and CPU readings
// around it, written into `result`.
void MeasureWindow(const DriverOptions& options, std::int64_t warm_end_ns,
                   std::int64_t end_ns, RunResult& result) {
  SleepUntilNs(warm_end_ns);
  result.load_before = ReadLoadAverage();
  const CpuReading before = ReadCpu(options);
  const std::int64_t start = MonotonicNowNs();
  SleepUntilNs(end_ns);
  const CpuReading after = ReadCpu(options);
  const double interval_s = static_cast<double>(MonotonicNowNs() - start) / 1e9;
  result.load_after = ReadLoadAverage();
  result.window_s = static_cast<double>(end_ns - warm_end_ns) / 1e9;
  result.client_cpu_cores = (after.client - before.client) / interval_s;
  if (before.server.has_value() && after.server.has_value()) {
    result.server_cpu_cores = (*after.server - *before.server) / interval_s;
  }
}

void Fail(ProducerStats& stats, const absl::Status& status) {
  ++stats.errors;
  if (stats.first_error.empty()) stats.first_error = status.ToString();
}

// Adds the producers' counts into `result` (latency samples included).
void Aggregate(std::vector<ProducerStats>& stats, RunResult& result,
               std::vector<std::int64_t>& latencies) {
  for (ProducerStats& s : stats) {
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
}

}  // namespace

RunResult RunClosedLoop(const DriverOptions& options,
                        const ClosedLoopSend& send) {
  const std::int64_t start = MonotonicNowNs();
  const std::int64_t warm_end = start + SecondsToNs(options.warmup_s);
  const std::int64_t end = warm_end + SecondsToNs(options.duration_s);
  std::atomic<bool> stop{false};
  std::vector<ProducerStats> stats(static_cast<std::size_t>(options.producers));
  std::vector<std::thread> threads;
  threads.reserve(static_cast<std::size_t>(options.producers));
  for (int p = 0; p < options.producers; ++p) {
    threads.emplace_back([&, p] {
      ProducerStats& mine = stats[static_cast<std::size_t>(p)];
      while (!stop.load(std::memory_order_relaxed)) {
        const std::int64_t sent = MonotonicNowNs();
        absl::StatusOr<AppendOutcome> outcome = send(p);
        const std::int64_t acked = MonotonicNowNs();
        if (!outcome.ok()) {
          Fail(mine, outcome.status());
          return;
        }
        mine.total_events += static_cast<std::uint64_t>(outcome->events);
        if (acked >= warm_end && acked < end) {
          ++mine.appends;
          mine.events += static_cast<std::uint64_t>(outcome->events);
          mine.bytes += outcome->bytes;
          mine.latencies_ns.push_back(acked - sent);
        }
      }
    });
  }
  RunResult result;
  MeasureWindow(options, warm_end, end, result);
  stop.store(true);
  for (std::thread& thread : threads) thread.join();
  std::vector<std::int64_t> latencies;
  Aggregate(stats, result, latencies);
  result.latency = Summarize(latencies);
  return result;
}

void RunWindow::Set(std::int64_t warm_end_ns, std::int64_t end_ns) {
  warm_end_ns_.store(warm_end_ns, std::memory_order_release);
  end_ns_.store(end_ns, std::memory_order_release);
}

bool RunWindow::Contains(std::int64_t sent_ns) const {
  return sent_ns >= warm_end_ns_.load(std::memory_order_acquire) &&
         sent_ns < end_ns_.load(std::memory_order_acquire);
}

void DeliveryLog::Record(std::int64_t sent_ns) {
  const std::int64_t received_ns = MonotonicNowNs();
  if (window_->Contains(sent_ns)) {
    absl::MutexLock lock(&mu_);
    if (!closed_) latencies_ns_.push_back(received_ns - sent_ns);
  }
  received_.fetch_add(1, std::memory_order_release);
}

void DeliveryLog::RecordUnstamped() {
  unstamped_.fetch_add(1, std::memory_order_release);
  received_.fetch_add(1, std::memory_order_release);
}

void DeliveryLog::TakeWindowLatencies(std::vector<std::int64_t>& out) {
  absl::MutexLock lock(&mu_);
  closed_ = true;
  out.insert(out.end(), latencies_ns_.begin(), latencies_ns_.end());
  std::vector<std::int64_t>().swap(latencies_ns_);
}

int CustomerOfSubscriber(int subscriber, int customers) {
  return subscriber % customers;
}

std::vector<int> SubscribersPerCustomer(int subscribers, int customers) {
  std::vector<int> counts(static_cast<std::size_t>(customers), 0);
  for (int s = 0; s < subscribers; ++s) {
    ++counts[static_cast<std::size_t>(CustomerOfSubscriber(s, customers))];
  }
  return counts;
}

RunResult RunFixedRate(const FixedRateOptions& options, RunWindow& window,
                       const std::vector<DeliveryLog*>& logs,
                       const FixedRateSend& send) {
  const DriverOptions& driver = options.driver;
  const int customers =
      static_cast<int>(options.subscribers_per_customer.size());
  const std::int64_t start = MonotonicNowNs();
  const std::int64_t warm_end = start + SecondsToNs(driver.warmup_s);
  const std::int64_t end = warm_end + SecondsToNs(driver.duration_s);
  window.Set(warm_end, end);
  // Producer p sends its k-th event at start + k * interval + p * offset:
  // evenly spaced overall. A producer that falls behind sends at once.
  const double interval_ns = 1e9 * driver.producers / options.rate;
  std::atomic<bool> stop{false};
  std::vector<ProducerStats> stats(static_cast<std::size_t>(driver.producers));
  std::vector<std::uint64_t> expected(stats.size(), 0);
  std::vector<std::thread> threads;
  threads.reserve(static_cast<std::size_t>(driver.producers));
  for (int p = 0; p < driver.producers; ++p) {
    threads.emplace_back([&, p] {
      ProducerStats& mine = stats[static_cast<std::size_t>(p)];
      for (std::int64_t k = 0; !stop.load(std::memory_order_relaxed); ++k) {
        const double offset =
            interval_ns * (static_cast<double>(k) +
                           static_cast<double>(p) / driver.producers);
        SleepUntilNs(start + static_cast<std::int64_t>(offset));
        if (stop.load(std::memory_order_relaxed)) return;
        const int customer =
            static_cast<int>((p + k * driver.producers) % customers);
        const std::int64_t sent = MonotonicNowNs();
        absl::Status status = send(p, customer);
        if (!status.ok()) {
          Fail(mine, status);
          return;
        }
        ++mine.total_events;
        expected[static_cast<std::size_t>(p)] += static_cast<std::uint64_t>(
            options
                .subscribers_per_customer[static_cast<std::size_t>(customer)]);
        if (sent >= warm_end && sent < end) {
          ++mine.appends;
          ++mine.events;
          mine.bytes += options.event_bytes;
        }
      }
    });
  }
  RunResult result;
  MeasureWindow(driver, warm_end, end, result);
  stop.store(true);
  for (std::thread& thread : threads) thread.join();
  std::vector<std::int64_t> unused;
  Aggregate(stats, result, unused);
  for (std::uint64_t e : expected) result.expected_deliveries += e;

  // Drain: wait until every subscriber got every event sent to its feed.
  auto delivered = [&logs] {
    std::uint64_t total = 0;
    for (const DeliveryLog* log : logs) total += log->received();
    return total;
  };
  const std::int64_t drain_end =
      MonotonicNowNs() + SecondsToNs(options.drain_timeout_s);
  while (delivered() < result.expected_deliveries &&
         MonotonicNowNs() < drain_end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  // A moment for duplicates to show up, if there were any.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::vector<std::int64_t> latencies;
  std::uint64_t unstamped = 0;
  for (DeliveryLog* log : logs) {
    log->TakeWindowLatencies(latencies);
    unstamped += log->unstamped();
  }
  result.total_deliveries = delivered();
  result.window_deliveries = latencies.size();
  result.latency = Summarize(latencies);
  auto add_error = [&result](const std::string& message) {
    ++result.errors;
    if (result.first_error.empty()) result.first_error = message;
  };
  if (result.total_deliveries != result.expected_deliveries) {
    add_error(absl::StrCat("subscribers received ", result.total_deliveries,
                           " deliveries, expected ", result.expected_deliveries,
                           " (after a ", options.drain_timeout_s, " s drain)"));
  }
  if (unstamped > 0) {
    add_error(absl::StrCat(unstamped, " deliveries had no send stamp"));
  }
  return result;
}

}  // namespace evstore::bench
