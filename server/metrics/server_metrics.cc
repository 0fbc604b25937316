#include "server/metrics/server_metrics.h"

#include <algorithm>
#include <utility>

#include "server/metrics/process_metrics.h"
#include "spdlog/spdlog.h"

namespace evstore::server {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

constexpr const char* kStatusCodeNames[] = {
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
};

MetricFamily NewFamily(const char* name, const char* help, MetricType type) {
  MetricFamily family;
  family.name = name;
  family.help = help;
  family.type = type;
  return family;
}

ClientMetric Labelled(const char* label, const std::string& value) {
  ClientMetric metric;
  metric.label.push_back(ClientMetric::Label{label, value});
  return metric;
}

ClientMetric CounterValue(ClientMetric metric, double value) {
  metric.counter.value = value;
  return metric;
}

ClientMetric GaugeValue(ClientMetric metric, double value) {
  metric.gauge.value = value;
  return metric;
}

MetricFamily Single(const char* name, const char* help, double value) {
  MetricFamily family = NewFamily(name, help, MetricType::Gauge);
  family.metric.push_back(GaugeValue(ClientMetric{}, value));
  return family;
}

MetricFamily HistogramFamily(const char* name, const char* help,
                             const AtomicHistogram& histogram) {
  MetricFamily family = NewFamily(name, help, MetricType::Histogram);
  family.metric.push_back(histogram.Collect());
  return family;
}

}  // namespace

ServerMetrics::ServerMetrics()
    : append_latency_(AtomicHistogram::LatencySeconds()),
      group_events_(AtomicHistogram::PowersOfTwo(16)),
      fsync_latency_(AtomicHistogram::LatencySeconds()),
      subscription_lag_(AtomicHistogram::PowersOfTwo(20)) {}

void ServerMetrics::OnGroupWritten(size_t appends, size_t events) {
  group_events_.Observe(static_cast<double>(events));
}

void ServerMetrics::OnWalSynced(absl::Duration duration) {
  fsync_latency_.Observe(absl::ToDoubleSeconds(duration));
}

void ServerMetrics::OnEventsDurable(const std::string& customer, size_t events,
                                    uint64_t data_bytes) {
  std::shared_ptr<CustomerSeries> series = SeriesFor(customer);
  series->appended_events.fetch_add(events, std::memory_order_relaxed);
  series->appended_bytes.fetch_add(data_bytes, std::memory_order_relaxed);
}

void ServerMetrics::OnCustomerDeleted(const std::string& customer) {
  MutexLock lock(&customers_mu_);
  customers_.erase(customer);
}

void ServerMetrics::OnSegmentDropped(const std::string& customer,
                                     uint64_t events) {
  std::shared_ptr<CustomerSeries> series = SeriesFor(customer);
  series->retention_dropped_segments.fetch_add(1, std::memory_order_relaxed);
  series->retention_dropped_events.fetch_add(events, std::memory_order_relaxed);
}

void ServerMetrics::OnRetentionFailed(const absl::Status& status) {
  retention_failures_.fetch_add(1, std::memory_order_relaxed);
  spdlog::warn("retention round failed (retried at the next interval): {}",
               status.ToString());
}

void ServerMetrics::RecordAppendResult(grpc::StatusCode code) {
  const int index = static_cast<int>(code);
  if (index < 0 || index >= kStatusCodes) return;
  append_results_[static_cast<size_t>(index)].fetch_add(
      1, std::memory_order_relaxed);
}

void ServerMetrics::RecordCheckpointCommit(grpc::StatusCode code) {
  const int index = static_cast<int>(code);
  if (index < 0 || index >= kStatusCodes) return;
  checkpoint_commits_[static_cast<size_t>(index)].fetch_add(
      1, std::memory_order_relaxed);
}

void ServerMetrics::RecordAppendLatency(absl::Duration latency,
                                        uint64_t count) {
  append_latency_.Observe(absl::ToDoubleSeconds(latency), count);
}

std::shared_ptr<SubscriptionTracker> ServerMetrics::TrackSubscription(
    const std::string& customer, uint64_t start_after) {
  return std::make_shared<SubscriptionTracker>(SeriesFor(customer),
                                               &subscription_lag_, start_after);
}

void ServerMetrics::AttachLog(EventLog* log) {
  MutexLock lock(&log_mu_);
  log_ = log;
}

void ServerMetrics::DetachLog() {
  MutexLock lock(&log_mu_);
  log_ = nullptr;
}

std::shared_ptr<CustomerSeries> ServerMetrics::SeriesFor(
    const std::string& customer) {
  MutexLock lock(&customers_mu_);
  std::shared_ptr<CustomerSeries>& series = customers_[customer];
  if (series == nullptr) series = std::make_shared<CustomerSeries>();
  return series;
}

std::vector<MetricFamily> ServerMetrics::Collect() const {
  std::vector<MetricFamily> out;
  MetricFamily results = NewFamily(
      "evstore_append_requests_total",
      "Append requests (Append calls and AppendSession appends) by result "
      "code.",
      MetricType::Counter);
  for (int code = 0; code < kStatusCodes; ++code) {
    results.metric.push_back(CounterValue(
        Labelled("code", kStatusCodeNames[code]),
        static_cast<double>(append_results_[static_cast<size_t>(code)].load(
            std::memory_order_relaxed))));
  }
  out.push_back(std::move(results));
  MetricFamily commits =
      NewFamily("evstore_checkpoint_commits_total",
                "CommitCheckpoint calls by result code.", MetricType::Counter);
  for (int code = 0; code < kStatusCodes; ++code) {
    commits.metric.push_back(CounterValue(
        Labelled("code", kStatusCodeNames[code]),
        static_cast<double>(checkpoint_commits_[static_cast<size_t>(code)].load(
            std::memory_order_relaxed))));
  }
  out.push_back(std::move(commits));
  MetricFamily retention_failures = NewFamily(
      "evstore_retention_failures_total",
      "Retention rounds that failed (each is retried at the next interval).",
      MetricType::Counter);
  retention_failures.metric.push_back(
      CounterValue(ClientMetric{}, static_cast<double>(retention_failures_.load(
                                       std::memory_order_relaxed))));
  out.push_back(std::move(retention_failures));
  out.push_back(HistogramFamily(
      "evstore_append_duration_seconds",
      "Time from receiving an append to answering it (durable when OK).",
      append_latency_));
  out.push_back(HistogramFamily(
      "evstore_commit_group_events",
      "New events per commit group (one RocksDB write batch).", group_events_));
  out.push_back(HistogramFamily("evstore_wal_fsync_duration_seconds",
                                "Duration of one write-ahead log fsync.",
                                fsync_latency_));
  out.push_back(HistogramFamily(
      "evstore_subscription_lag_events",
      "Per subscription and delivered batch: feed head minus the position "
      "delivered up to.",
      subscription_lag_));
  CollectCustomers(out);
  CollectStorage(out);
  for (MetricFamily& family : CollectProcessMetrics()) {
    out.push_back(std::move(family));
  }
  return out;
}

void ServerMetrics::CollectCustomers(std::vector<MetricFamily>& out) const {
  std::vector<std::pair<std::string, std::shared_ptr<CustomerSeries>>>
      customers;
  {
    MutexLock lock(&customers_mu_);
    customers.assign(customers_.begin(), customers_.end());
  }
  std::sort(customers.begin(), customers.end());
  MetricFamily events =
      NewFamily("evstore_appended_events_total",
                "Events appended (durable) per customer.", MetricType::Counter);
  MetricFamily bytes = NewFamily(
      "evstore_appended_bytes_total",
      "Event data bytes appended (durable) per customer.", MetricType::Counter);
  MetricFamily delivered = NewFamily("evstore_delivered_events_total",
                                     "Events sent to subscribers per customer.",
                                     MetricType::Counter);
  MetricFamily dropped_segments = NewFamily(
      "evstore_retention_dropped_segments_total",
      "Feed segments dropped by retention per customer.", MetricType::Counter);
  MetricFamily dropped_events = NewFamily(
      "evstore_retention_dropped_events_total",
      "Events dropped by retention per customer.", MetricType::Counter);
  MetricFamily active =
      NewFamily("evstore_subscriptions_active",
                "Open subscriptions per customer.", MetricType::Gauge);
  MetricFamily max_lag = NewFamily(
      "evstore_subscription_lag_max_events",
      "Largest lag (feed head minus delivered position) of the customer's "
      "open subscriptions.",
      MetricType::Gauge);
  MutexLock log_lock(&log_mu_);
  for (const auto& [name, series] : customers) {
    const ClientMetric label = Labelled("customer", name);
    events.metric.push_back(CounterValue(
        label, static_cast<double>(series->appended_events.load())));
    bytes.metric.push_back(CounterValue(
        label, static_cast<double>(series->appended_bytes.load())));
    delivered.metric.push_back(CounterValue(
        label, static_cast<double>(series->delivered_events.load())));
    dropped_segments.metric.push_back(CounterValue(
        label, static_cast<double>(series->retention_dropped_segments.load())));
    dropped_events.metric.push_back(CounterValue(
        label, static_cast<double>(series->retention_dropped_events.load())));
    const uint64_t head = log_ != nullptr ? log_->Head(name).value() : 0;
    size_t subscriptions = 0;
    uint64_t lag = 0;
    {
      MutexLock lock(&series->mu);
      subscriptions = series->subscriptions.size();
      for (const SubscriptionTracker* tracker : series->subscriptions) {
        const uint64_t at = tracker->delivered();
        if (head > at) lag = std::max(lag, head - at);
      }
    }
    active.metric.push_back(
        GaugeValue(label, static_cast<double>(subscriptions)));
    max_lag.metric.push_back(GaugeValue(label, static_cast<double>(lag)));
  }
  for (MetricFamily* family : {&events, &bytes, &delivered, &dropped_segments,
                               &dropped_events, &active, &max_lag}) {
    out.push_back(std::move(*family));
  }
}

void ServerMetrics::CollectStorage(std::vector<MetricFamily>& out) const {
  MutexLock lock(&log_mu_);
  if (log_ == nullptr) return;
  const StorageStatistics statistics = log_->Statistics();
  MetricFamily sst = NewFamily(
      "evstore_storage_sst_bytes",
      "Size of the SST files per RocksDB column family.", MetricType::Gauge);
  MetricFamily memtable = NewFamily(
      "evstore_storage_memtable_bytes",
      "Size of the memtables per RocksDB column family.", MetricType::Gauge);
  for (const StorageStatistics::ColumnFamilyBytes& family :
       statistics.families) {
    const ClientMetric label = Labelled("column_family", family.family);
    sst.metric.push_back(
        GaugeValue(label, static_cast<double>(family.sst_bytes)));
    memtable.metric.push_back(
        GaugeValue(label, static_cast<double>(family.memtable_bytes)));
  }
  out.push_back(std::move(sst));
  out.push_back(std::move(memtable));
  out.push_back(Single(
      "evstore_rocksdb_delayed_write_rate_bytes_per_second",
      "Rate RocksDB throttles writes to (0 while writes are not delayed).",
      static_cast<double>(statistics.delayed_write_rate)));
  out.push_back(Single("evstore_rocksdb_write_stopped",
                       "1 while RocksDB stops writes until compaction "
                       "catches up.",
                       statistics.write_stopped ? 1 : 0));
  out.push_back(Single("evstore_rocksdb_running_compactions",
                       "Compactions running now.",
                       static_cast<double>(statistics.running_compactions)));
  out.push_back(Single("evstore_rocksdb_running_flushes",
                       "Memtable flushes running now.",
                       static_cast<double>(statistics.running_flushes)));
  out.push_back(Single("evstore_rocksdb_compaction_pending",
                       "1 while at least one compaction is pending.",
                       statistics.compaction_pending ? 1 : 0));
  out.push_back(
      Single("evstore_rocksdb_pending_compaction_bytes",
             "Estimated bytes compaction has to rewrite to settle the LSM "
             "tree.",
             static_cast<double>(statistics.pending_compaction_bytes)));
}

}  // namespace evstore::server
