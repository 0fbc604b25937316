// ServerMetrics as the event log's StorageMetricsSink and as the source of
// the /metrics series: what storage reports lands in the right series.
#include "server/metrics/server_metrics.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "prometheus/metric_family.h"
#include "server/metrics/atomic_histogram.h"
#include "tests/unit/test_support.h"

namespace evstore::server {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using testing::TempDir;

const MetricFamily* FindFamily(const std::vector<MetricFamily>& families,
                               const std::string& name) {
  for (const MetricFamily& family : families) {
    if (family.name == name) return &family;
  }
  return nullptr;
}

// The sample of `name` whose only label is label=value ("" for none).
std::optional<ClientMetric> Find(const std::vector<MetricFamily>& families,
                                 const std::string& name,
                                 const std::string& label = "",
                                 const std::string& value = "") {
  const MetricFamily* family = FindFamily(families, name);
  if (family == nullptr) return std::nullopt;
  for (const ClientMetric& metric : family->metric) {
    if (label.empty() && metric.label.empty()) return metric;
    if (metric.label.size() == 1 && metric.label[0].name == label &&
        metric.label[0].value == value) {
      return metric;
    }
  }
  return std::nullopt;
}

double CounterOf(const std::vector<MetricFamily>& families,
                 const std::string& name, const std::string& label,
                 const std::string& value) {
  std::optional<ClientMetric> metric = Find(families, name, label, value);
  REQUIRE(metric.has_value());
  return metric->counter.value;
}

double GaugeOf(const std::vector<MetricFamily>& families,
               const std::string& name, const std::string& label = "",
               const std::string& value = "") {
  std::optional<ClientMetric> metric = Find(families, name, label, value);
  REQUIRE(metric.has_value());
  return metric->gauge.value;
}

uint64_t HistogramCount(const std::vector<MetricFamily>& families,
                        const std::string& name) {
  std::optional<ClientMetric> metric = Find(families, name);
  REQUIRE(metric.has_value());
  return metric->histogram.sample_count;
}

TEST_CASE("appends to the event log move the customer and commit series") {
  TempDir dir;
  ServerMetrics metrics;
  EventLogOptions options = testing::TestOptions(dir.path());
  options.metrics_sink = &metrics;
  absl::StatusOr<std::unique_ptr<EventLog>> log = EventLog::Open(options);
  REQUIRE(log.ok());
  metrics.AttachLog(log->get());
  const double memtable_before =
      GaugeOf(metrics.Collect(), "evstore_storage_memtable_bytes",
              "column_family", "events");

  REQUIRE(
      testing::AppendSync(**log, testing::OneStream("acme", "s-1", 3)).ok());
  AppendBatch two = testing::OneStream("globex", "s-1", 2);
  two.writes[0].events[0].data = R"({"value":12345})";
  const absl::StatusOr<AppendResult> appended_two =
      testing::AppendSync(**log, std::move(two));
  REQUIRE(appended_two.ok());
  // Beyond the memtable's first (inline) arena block.
  AppendBatch large = testing::OneStream("initech", "s-1", 1);
  large.writes[0].events[0].data =
      "{\"blob\":\"" + std::string(16 << 10, 'x') + "\"}";
  const absl::StatusOr<AppendResult> appended_large =
      testing::AppendSync(**log, std::move(large));
  REQUIRE(appended_large.ok());

  const std::vector<MetricFamily> families = metrics.Collect();
  CHECK(CounterOf(families, "evstore_appended_events_total", "customer",
                  "acme") == 3);
  CHECK(CounterOf(families, "evstore_appended_events_total", "customer",
                  "globex") == 2);
  // Event data bytes: MakeEvent's {"value":1} is 11 bytes.
  CHECK(CounterOf(families, "evstore_appended_bytes_total", "customer",
                  "acme") == 3 * 11);
  CHECK(CounterOf(families, "evstore_appended_bytes_total", "customer",
                  "globex") == 11 + 15);
  CHECK(CounterOf(families, "evstore_appended_bytes_total", "customer",
                  "initech") == (16 << 10) + 11);
  CHECK(HistogramCount(families, "evstore_commit_group_events") >= 3);
  CHECK(HistogramCount(families, "evstore_wal_fsync_duration_seconds") >= 3);
  // Storage statistics are polled from the log.
  CHECK(GaugeOf(families, "evstore_storage_memtable_bytes", "column_family",
                "events") > memtable_before);
  CHECK(Find(families, "evstore_rocksdb_write_stopped").has_value());
  CHECK(Find(families, "process_resident_memory_bytes").has_value());
  metrics.DetachLog();
}

TEST_CASE("the series of a deleted customer are removed") {
  TempDir dir;
  ServerMetrics metrics;
  EventLogOptions options = testing::TestOptions(dir.path());
  options.metrics_sink = &metrics;
  absl::StatusOr<std::unique_ptr<EventLog>> log = EventLog::Open(options);
  REQUIRE(log.ok());
  REQUIRE(
      testing::AppendSync(**log, testing::OneStream("acme", "s-1", 1)).ok());
  REQUIRE(
      testing::AppendSync(**log, testing::OneStream("globex", "s-1", 1)).ok());
  REQUIRE(Find(metrics.Collect(), "evstore_appended_events_total", "customer",
               "acme")
              .has_value());

  REQUIRE(testing::DeleteCustomerSync(**log, "acme").ok());

  const std::vector<MetricFamily> families = metrics.Collect();
  CHECK_FALSE(
      Find(families, "evstore_appended_events_total", "customer", "acme")
          .has_value());
  CHECK_FALSE(Find(families, "evstore_subscriptions_active", "customer", "acme")
                  .has_value());
  CHECK(Find(families, "evstore_appended_events_total", "customer", "globex")
            .has_value());
}

TEST_CASE("failed retention rounds are counted") {
  ServerMetrics metrics;
  CHECK(Find(metrics.Collect(), "evstore_retention_failures_total")
            ->counter.value == 0);
  metrics.OnRetentionFailed(absl::UnavailableError("the log is closed"));
  metrics.OnRetentionFailed(absl::InternalError("disk"));
  CHECK(Find(metrics.Collect(), "evstore_retention_failures_total")
            ->counter.value == 2);
}

TEST_CASE("append results are counted by code") {
  ServerMetrics metrics;
  metrics.RecordAppendResult(grpc::StatusCode::OK);
  metrics.RecordAppendResult(grpc::StatusCode::OK);
  metrics.RecordAppendResult(grpc::StatusCode::RESOURCE_EXHAUSTED);
  metrics.RecordAppendLatency(absl::Milliseconds(3), 4);

  const std::vector<MetricFamily> families = metrics.Collect();
  CHECK(CounterOf(families, "evstore_append_requests_total", "code", "OK") ==
        2);
  CHECK(CounterOf(families, "evstore_append_requests_total", "code",
                  "RESOURCE_EXHAUSTED") == 1);
  CHECK(CounterOf(families, "evstore_append_requests_total", "code",
                  "NOT_FOUND") == 0);
  CHECK(HistogramCount(families, "evstore_append_duration_seconds") == 4);
  CHECK(std::abs(Find(families, "evstore_append_duration_seconds")
                     ->histogram.sample_sum -
                 0.012) < 1e-9);
}

TEST_CASE("subscriptions count as active until they end and report lag") {
  TempDir dir;
  ServerMetrics metrics;
  EventLogOptions options = testing::TestOptions(dir.path());
  options.metrics_sink = &metrics;
  absl::StatusOr<std::unique_ptr<EventLog>> log = EventLog::Open(options);
  REQUIRE(log.ok());
  metrics.AttachLog(log->get());
  REQUIRE(
      testing::AppendSync(**log, testing::OneStream("acme", "s-1", 10)).ok());

  std::shared_ptr<SubscriptionTracker> behind =
      metrics.TrackSubscription("acme", 0);
  std::shared_ptr<SubscriptionTracker> ahead =
      metrics.TrackSubscription("acme", 0);
  behind->OnDelivered(4, 4, 10);
  ahead->OnDelivered(10, 10, 10);

  std::vector<MetricFamily> families = metrics.Collect();
  CHECK(GaugeOf(families, "evstore_subscriptions_active", "customer", "acme") ==
        2);
  CHECK(CounterOf(families, "evstore_delivered_events_total", "customer",
                  "acme") == 14);
  // The head (10) minus the slowest subscription's position (4).
  CHECK(GaugeOf(families, "evstore_subscription_lag_max_events", "customer",
                "acme") == 6);
  CHECK(HistogramCount(families, "evstore_subscription_lag_events") == 2);

  behind->End();
  behind->End();  // Idempotent.
  families = metrics.Collect();
  CHECK(GaugeOf(families, "evstore_subscriptions_active", "customer", "acme") ==
        1);
  CHECK(GaugeOf(families, "evstore_subscription_lag_max_events", "customer",
                "acme") == 0);
  ahead.reset();  // Destruction ends it too.
  CHECK(GaugeOf(metrics.Collect(), "evstore_subscriptions_active", "customer",
                "acme") == 0);
  metrics.DetachLog();
}

TEST_CASE("histogram buckets are cumulative and include their upper bound") {
  AtomicHistogram histogram({1, 2, 4});
  histogram.Observe(0.5);
  histogram.Observe(2);  // In the "le 2" bucket.
  histogram.Observe(3);
  histogram.Observe(100);
  const ClientMetric metric = histogram.Collect();
  REQUIRE(metric.histogram.bucket.size() == 4);
  CHECK(metric.histogram.bucket[0].cumulative_count == 1);
  CHECK(metric.histogram.bucket[1].cumulative_count == 2);
  CHECK(metric.histogram.bucket[2].cumulative_count == 3);
  CHECK(metric.histogram.bucket[3].cumulative_count == 4);
  CHECK(std::isinf(metric.histogram.bucket[3].upper_bound));
  CHECK(metric.histogram.sample_count == 4);
  CHECK(metric.histogram.sample_sum == 105.5);
}

}  // namespace
}  // namespace evstore::server
