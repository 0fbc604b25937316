#include "bench/workload_figures.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/report.h"

namespace evstore::bench {
namespace {

double Mib(std::uint64_t bytes) {
  return static_cast<double>(bytes) / (1024.0 * 1024.0);
}

std::string CpuText(const std::optional<double>& cores) {
  return cores.has_value() ? absl::StrFormat("%.2f", *cores) : "n/a";
}

std::string BatchedJson(const BatchedFigures& figures) {
  return absl::StrCat("{\"events_per_s\":", JsonNumber(figures.events_per_s, 1),
                      ",\"mb_per_s\":", JsonNumber(figures.mb_per_s, 3),
                      ",\"p50_ms\":", JsonNumber(figures.latency.p50_ms, 3),
                      ",\"p99_ms\":", JsonNumber(figures.latency.p99_ms, 3),
                      ",\"p999_ms\":", JsonNumber(figures.latency.p999_ms, 3),
                      ",\"max_ms\":", JsonNumber(figures.latency.max_ms, 3),
                      ",\"server_cpu_cores\":",
                      figures.server_cpu_cores.has_value()
                          ? JsonNumber(*figures.server_cpu_cores, 3)
                          : "null",
                      ",\"errors\":", figures.errors, "}");
}

std::string BatchedLine(const char* name, const BatchedFigures& figures) {
  return absl::StrFormat(
      "  %-12s %10.0f events/s %7.1f MB/s  p50 %.2f  p99 %.2f  p99.9 %.2f  "
      "max %.2f ms  server CPU %s cores  errors %d\n",
      name, figures.events_per_s, figures.mb_per_s, figures.latency.p50_ms,
      figures.latency.p99_ms, figures.latency.p999_ms, figures.latency.max_ms,
      CpuText(figures.server_cpu_cores), figures.errors);
}

}  // namespace

double GrowthFigures::Ratio() const {
  return empty.events_per_s > 0 ? full.events_per_s / empty.events_per_s : 0;
}

std::string FormatCatchupTable(const CatchupFigures& figures) {
  std::string preload =
      figures.preloaded_events == 0
          ? std::string("preload skipped (the feed already held them)")
          : absl::StrFormat(
                "preloaded %d events in %.1f s (%.0f/s)",
                figures.preloaded_events, figures.preload_s,
                figures.preload_s > 0
                    ? static_cast<double>(figures.preloaded_events) /
                          figures.preload_s
                    : 0.0);
  return absl::StrFormat(
      "catch-up: %d events read from the start; %s; caught_up after %.2f s\n",
      figures.feed_events, preload, figures.caught_up_s);
}

std::string FormatCatchupJson(const CatchupFigures& figures) {
  return absl::StrCat("{\"feed_events\":", figures.feed_events,
                      ",\"preloaded_events\":", figures.preloaded_events,
                      ",\"preload_s\":", JsonNumber(figures.preload_s, 3),
                      ",\"caught_up_s\":", JsonNumber(figures.caught_up_s, 3),
                      "}");
}

std::string FormatGrowthTable(const GrowthFigures& figures) {
  std::string out = absl::StrFormat(
      "growth: fill of %d events took %.1f s (%.0f/s), then %.0f s idle; "
      "store held %d events for the second run; data directory %s\n",
      figures.fill_events, figures.fill_s,
      figures.fill_s > 0
          ? static_cast<double>(figures.fill_events) / figures.fill_s
          : 0.0,
      figures.settle_s, figures.store_events,
      figures.disk_bytes.has_value()
          ? absl::StrFormat("%.0f MiB", Mib(*figures.disk_bytes))
          : std::string("size unknown (no --server_data_dir)"));
  out += BatchedLine("empty store", figures.empty);
  out += BatchedLine("full store", figures.full);
  absl::StrAppendFormat(&out, "  full / empty events/s: %.3f\n",
                        figures.Ratio());
  return out;
}

std::string FormatGrowthJson(const GrowthFigures& figures) {
  return absl::StrCat(
      "{\"empty\":", BatchedJson(figures.empty),
      ",\"full\":", BatchedJson(figures.full),
      ",\"ratio\":", JsonNumber(figures.Ratio(), 4),
      ",\"store_events\":", figures.store_events,
      ",\"fill_events\":", figures.fill_events,
      ",\"fill_s\":", JsonNumber(figures.fill_s, 3),
      ",\"settle_s\":", JsonNumber(figures.settle_s, 3), ",\"disk_bytes\":",
      figures.disk_bytes.has_value() ? absl::StrCat(*figures.disk_bytes)
                                     : std::string("null"),
      "}");
}

std::string FormatIdleTable(const IdleFigures& figures) {
  return absl::StrFormat(
      "idle: %d %s subscriptions on %d connections, all caught up after "
      "%.2f s; %d heartbeats, %d unexpected events, %d ended early\n"
      "server RSS: %.0f MiB before, %.0f MiB with the idle subscriptions, "
      "max %.0f MiB during the run\n",
      figures.subscriptions, figures.kind, figures.connections, figures.open_s,
      figures.heartbeats, figures.unexpected_events, figures.failures,
      Mib(figures.rss_before_bytes), Mib(figures.rss_idle_bytes),
      Mib(figures.rss_max_bytes));
}

std::string FormatIdleJson(const IdleFigures& figures) {
  return absl::StrCat("{\"subscriptions\":", figures.subscriptions,
                      ",\"connections\":", figures.connections,
                      ",\"kind\":", JsonString(figures.kind),
                      ",\"open_s\":", JsonNumber(figures.open_s, 3),
                      ",\"rss_before_bytes\":", figures.rss_before_bytes,
                      ",\"rss_idle_bytes\":", figures.rss_idle_bytes,
                      ",\"rss_max_bytes\":", figures.rss_max_bytes,
                      ",\"heartbeats\":", figures.heartbeats,
                      ",\"unexpected_events\":", figures.unexpected_events,
                      ",\"failures\":", figures.failures, "}");
}

}  // namespace evstore::bench
