#include "bench/report.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/cli/json_text.h"

namespace evstore::bench {
namespace {

double PerSecond(double count, double seconds) {
  return seconds > 0 ? count / seconds : 0;
}

std::string JsonLoad(const std::optional<std::array<double, 3>>& load) {
  if (!load.has_value()) return "null";
  return absl::StrFormat("[%.2f,%.2f,%.2f]", (*load)[0], (*load)[1],
                         (*load)[2]);
}

std::string LoadText(const std::optional<std::array<double, 3>>& load) {
  if (!load.has_value()) return "n/a";
  return absl::StrFormat("%.2f %.2f %.2f", (*load)[0], (*load)[1], (*load)[2]);
}

// 1234567.8 -> "1,234,568".
std::string Grouped(double value) {
  const auto n = static_cast<long long>(std::llround(value));
  std::string digits = absl::StrCat(n < 0 ? -n : n);
  std::string out;
  const std::size_t first = digits.size() % 3 == 0 ? 3 : digits.size() % 3;
  out = digits.substr(0, first);
  for (std::size_t i = first; i < digits.size(); i += 3) {
    out += ',';
    out += digits.substr(i, 3);
  }
  return n < 0 ? "-" + out : out;
}

}  // namespace

std::string JsonString(const std::string& text) {
  std::string out;
  cli::AppendJsonString(out, text);
  return out;
}

// JSON has no NaN or infinity.
std::string JsonNumber(double value, int decimals) {
  if (!std::isfinite(value)) return "null";
  return absl::StrFormat("%.*f", decimals, value);
}

bool IsLatencyWorkload(const std::string& workload) {
  return workload == "latency" || workload == "idle_subscribers";
}

double RunResult::EventsPerSecond() const {
  return PerSecond(static_cast<double>(events), window_s);
}
double RunResult::AppendsPerSecond() const {
  return PerSecond(static_cast<double>(appends), window_s);
}
double RunResult::MegabytesPerSecond() const {
  return PerSecond(static_cast<double>(bytes), window_s) / 1e6;
}

void SetCpuUse(const CpuSnapshot& before, const CpuSnapshot& after,
               double interval_s, RunResult& result) {
  result.client_cpu_cores = (after.client - before.client) / interval_s;
  if (before.server.has_value() && after.server.has_value()) {
    result.server_cpu_cores = (*after.server - *before.server) / interval_s;
    result.server_threads = BusiestThreads(before.server_threads,
                                           after.server_threads, interval_s, 6);
  }
}

std::string FormatTable(const RunConfig& config, const RunResult& result) {
  std::string out;
  std::string transport = config.transport;
  if (config.transport == "session") {
    transport = absl::StrCat("session (", config.sessions, " sessions, ",
                             config.session_api, " API)");
  }
  absl::StrAppendFormat(
      &out,
      "evstore-bench: workload %s over %s, %d producers x %d events of %d B, "
      "%d customers, %d streams, %s ids%s\n",
      config.workload, transport, config.producers, config.batch,
      config.event_bytes, config.customers, config.streams, config.ids,
      config.label.empty() ? "" : absl::StrCat(" [", config.label, "]"));
  if (IsLatencyWorkload(config.workload)) {
    absl::StrAppendFormat(
        &out,
        "latency: %d subscribers at a fixed %.0f events/s; deliveries in the "
        "window %d, at any time %d of %d expected\n",
        config.subscribers, config.rate, result.window_deliveries,
        result.total_deliveries, result.expected_deliveries);
  }
  absl::StrAppendFormat(
      &out,
      "window %.2f s after %.1f s warm-up; load average before %s, after %s\n",
      result.window_s, config.warmup_s, LoadText(result.load_before),
      LoadText(result.load_after));
  absl::StrAppendFormat(&out, "%12s %8s %11s %8s %8s %8s %8s %8s %7s\n",
                        "events/s", "MB/s", "appends/s", "p50 ms", "p90 ms",
                        "p99 ms", "p99.9 ms", "max ms", "errors");
  absl::StrAppendFormat(
      &out, "%12s %8.1f %11s %8.2f %8.2f %8.2f %8.2f %8.2f %7d\n",
      Grouped(result.EventsPerSecond()), result.MegabytesPerSecond(),
      Grouped(result.AppendsPerSecond()), result.latency.p50_ms,
      result.latency.p90_ms, result.latency.p99_ms, result.latency.p999_ms,
      result.latency.max_ms, result.errors);
  absl::StrAppendFormat(&out,
                        "latency samples %d (mean %.2f ms); CPU in the "
                        "window: client %.2f cores",
                        result.latency.samples, result.latency.mean_ms,
                        result.client_cpu_cores);
  if (result.server_cpu_cores.has_value()) {
    absl::StrAppendFormat(&out,
                          ", server %.2f cores (%.1f us of server CPU "
                          "per event)",
                          *result.server_cpu_cores,
                          result.events > 0
                              ? *result.server_cpu_cores * result.window_s *
                                    1e6 / static_cast<double>(result.events)
                              : 0.0);
  }
  out += '\n';
  if (!result.server_threads.empty()) {
    out += "busiest server threads (cores):";
    for (const ThreadLoad& thread : result.server_threads) {
      absl::StrAppendFormat(&out, " %s[%d] %.2f", thread.name, thread.tid,
                            thread.cores);
    }
    out += '\n';
  }
  if (result.catchup.has_value()) out += FormatCatchupTable(*result.catchup);
  if (result.growth.has_value()) out += FormatGrowthTable(*result.growth);
  if (result.idle.has_value()) out += FormatIdleTable(*result.idle);
  if (result.errors > 0 && config.workload != "batched" &&
      config.workload != "single") {
    // Failed appends, missing deliveries, failed reads and subscriptions.
    absl::StrAppendFormat(&out, "FAILED: %d failures; first: %s\n",
                          result.errors, result.first_error);
  } else if (result.errors > 0) {
    absl::StrAppendFormat(&out, "FAILED: %d appends failed; first: %s\n",
                          result.errors, result.first_error);
  }
  return out;
}

std::string FormatJson(const RunConfig& config, const RunResult& result) {
  std::string out = "{";
  auto field = [&out](const char* name, const std::string& value) {
    if (out.size() > 1) out += ',';
    absl::StrAppend(&out, "\"", name, "\":", value);
  };
  field("workload", JsonString(config.workload));
  field("transport", JsonString(config.transport));
  field("session_api",
        JsonString(config.transport == "session" ? config.session_api
                                                 : std::string()));
  field("producers", absl::StrCat(config.producers));
  field("sessions", absl::StrCat(config.sessions));
  field("batch", absl::StrCat(config.batch));
  field("event_bytes", absl::StrCat(config.event_bytes));
  field("customers", absl::StrCat(config.customers));
  field("streams", absl::StrCat(config.streams));
  field("ids", JsonString(config.ids));
  field("duration_s", JsonNumber(config.duration_s, 3));
  field("warmup_s", JsonNumber(config.warmup_s, 3));
  field("label", JsonString(config.label));
  field("window_s", JsonNumber(result.window_s, 3));
  field("appends", absl::StrCat(result.appends));
  field("events", absl::StrCat(result.events));
  field("bytes", absl::StrCat(result.bytes));
  field("total_events", absl::StrCat(result.total_events));
  field("events_per_s", JsonNumber(result.EventsPerSecond(), 1));
  field("appends_per_s", JsonNumber(result.AppendsPerSecond(), 1));
  field("mb_per_s", JsonNumber(result.MegabytesPerSecond(), 3));
  field("latency_ms",
        absl::StrCat("{\"p50\":", JsonNumber(result.latency.p50_ms, 3),
                     ",\"p90\":", JsonNumber(result.latency.p90_ms, 3),
                     ",\"p99\":", JsonNumber(result.latency.p99_ms, 3),
                     ",\"p999\":", JsonNumber(result.latency.p999_ms, 3),
                     ",\"max\":", JsonNumber(result.latency.max_ms, 3),
                     ",\"mean\":", JsonNumber(result.latency.mean_ms, 3),
                     ",\"samples\":", result.latency.samples, "}"));
  field("errors", absl::StrCat(result.errors));
  field("first_error", JsonString(result.first_error));
  field("client_cpu_cores", JsonNumber(result.client_cpu_cores, 3));
  field("server_cpu_cores", result.server_cpu_cores.has_value()
                                ? JsonNumber(*result.server_cpu_cores, 3)
                                : "null");
  std::string threads = "[";
  for (const ThreadLoad& thread : result.server_threads) {
    if (threads.size() > 1) threads += ',';
    absl::StrAppend(&threads, "{\"tid\":", thread.tid,
                    ",\"name\":", JsonString(thread.name),
                    ",\"cores\":", JsonNumber(thread.cores, 3), "}");
  }
  threads += ']';
  field("server_threads", threads);
  field("loadavg_before", JsonLoad(result.load_before));
  field("loadavg_after", JsonLoad(result.load_after));
  if (IsLatencyWorkload(config.workload)) {
    field("subscribers", absl::StrCat(config.subscribers));
    field("rate", JsonNumber(config.rate, 1));
    field("window_deliveries", absl::StrCat(result.window_deliveries));
    field("total_deliveries", absl::StrCat(result.total_deliveries));
    field("expected_deliveries", absl::StrCat(result.expected_deliveries));
  }
  if (result.catchup.has_value()) {
    field("catchup", FormatCatchupJson(*result.catchup));
  }
  if (result.growth.has_value()) {
    field("growth", FormatGrowthJson(*result.growth));
  }
  if (result.idle.has_value()) field("idle", FormatIdleJson(*result.idle));
  out += '}';
  return out;
}

}  // namespace evstore::bench
