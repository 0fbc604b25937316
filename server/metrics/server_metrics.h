// ServerMetrics: every evstore_* series, and the process_* ones, as one
// prometheus::Collectable (scraped by MetricsEndpoint). It is the storage
// layer's StorageMetricsSink and is fed by the append and subscription
// paths; the database is polled at scrape time.
//
// Hot-path cost: counters and histograms are atomics (no lock per append or
// per event); per-customer series are looked up in a map once per customer
// and WAL fsync (appends) or once per subscription (deliveries).
// Cardinality: the only unbounded label is `customer` (never streams, ids or
// tokens); a deleted customer's series are removed.
#ifndef EVSTORE_SERVER_METRICS_SERVER_METRICS_H_
#define EVSTORE_SERVER_METRICS_SERVER_METRICS_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "base/mutex.h"
#include "grpcpp/support/status.h"
#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"
#include "server/metrics/atomic_histogram.h"
#include "server/metrics/customer_series.h"
#include "server/metrics/subscription_tracker.h"
#include "storage/event_log.h"
#include "storage/storage_metrics.h"

namespace evstore::server {

// Thread-safe.
class ServerMetrics final : public StorageMetricsSink,
                            public prometheus::Collectable {
 public:
  ServerMetrics();
  ServerMetrics(const ServerMetrics&) = delete;
  ServerMetrics& operator=(const ServerMetrics&) = delete;

  // StorageMetricsSink (the group committer's threads).
  void OnGroupWritten(size_t appends, size_t events) override;
  void OnWalSynced(absl::Duration duration) override;
  void OnEventsDurable(const std::string& customer, size_t events,
                       uint64_t data_bytes) override;
  void OnCustomerDeleted(const std::string& customer) override;
  void OnSegmentDropped(const std::string& customer, uint64_t events) override;
  // Logs the failure too (storage has no logger).
  void OnRetentionFailed(const absl::Status& status) override;

  // One append request (an Append call, or one append of an AppendSession)
  // ended with `code`.
  void RecordAppendResult(grpc::StatusCode code);
  // `count` append requests were answered `latency` after they were
  // received; only for appends handed to the event log (those rejected
  // before are not waiting for durability).
  void RecordAppendLatency(absl::Duration latency, uint64_t count = 1);

  // One CommitCheckpoint call ended with `code`.
  void RecordCheckpointCommit(grpc::StatusCode code);

  // A new subscription of `customer` that has delivered up to
  // `start_after`; it counts as active until the tracker's End.
  std::shared_ptr<SubscriptionTracker> TrackSubscription(
      const std::string& customer, uint64_t start_after);

  // Scrapes read storage statistics and feed heads from `log` from now on;
  // DetachLog (before the log closes) waits for a scrape in progress.
  void AttachLog(EventLog* log);
  void DetachLog();

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  std::shared_ptr<CustomerSeries> SeriesFor(const std::string& customer);
  void CollectCustomers(std::vector<prometheus::MetricFamily>& out) const;
  void CollectStorage(std::vector<prometheus::MetricFamily>& out) const;

  // Indexed by grpc::StatusCode (0..16).
  static constexpr int kStatusCodes = 17;
  std::array<std::atomic<uint64_t>, kStatusCodes> append_results_{};
  std::array<std::atomic<uint64_t>, kStatusCodes> checkpoint_commits_{};
  std::atomic<uint64_t> retention_failures_{0};
  AtomicHistogram append_latency_;
  AtomicHistogram group_events_;
  AtomicHistogram fsync_latency_;
  AtomicHistogram subscription_lag_;

  mutable Mutex customers_mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<CustomerSeries>> customers_
      ABSL_GUARDED_BY(customers_mu_);

  mutable Mutex log_mu_;
  EventLog* log_ ABSL_GUARDED_BY(log_mu_) = nullptr;
};

}  // namespace evstore::server

#endif  // EVSTORE_SERVER_METRICS_SERVER_METRICS_H_
