// RocksEventLog: the EventLog on RocksDB. Internal to storage/; users hold
// an EventLog from EventLog::Open. The implementation is split by concern:
// rocksdb_event_log.cc (append, tails, lifecycle), rocksdb_event_log_open.cc
// (opening and recovery), rocksdb_event_log_read.cc (reads),
// rocksdb_event_log_backup.cc (checkpoints), rocksdb_event_log_retention.cc
// (retention and stream deletion).
#ifndef EVSTORE_STORAGE_ROCKSDB_EVENT_LOG_H_
#define EVSTORE_STORAGE_ROCKSDB_EVENT_LOG_H_

#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "base/mutex.h"
#include "storage/append_sequencer.h"
#include "storage/customer_directory.h"
#include "storage/event_log.h"
#include "storage/group_committer.h"
#include "storage/quota_store.h"
#include "storage/retention_store.h"
#include "storage/rocks_handles.h"
#include "storage/segment_drop.h"
#include "storage/stored_bytes.h"

namespace evstore {

class RocksEventLog final : public EventLog {
 public:
  static absl::StatusOr<std::unique_ptr<RocksEventLog>> OpenLog(
      const EventLogOptions& options);
  ~RocksEventLog() override;

  void Append(AppendBatch batch, AppendCallback done) override;
  void AppendMany(std::vector<AppendBatch> batches,
                  AppendManyCallback done) override;
  void CreateCustomer(std::string_view customer,
                      absl::AnyInvocable<void(absl::Status)> done) override;
  void DeleteCustomer(std::string_view customer,
                      DeleteCustomerCallback done) override;
  std::optional<CustomerInfo> Customer(std::string_view customer) override;
  std::vector<CustomerInfo> Customers(std::string_view after,
                                      size_t limit) override;
  TokenStore& tokens() override { return *tokens_; }
  CheckpointStore& checkpoints() override { return *checkpoints_; }
  absl::Status SetQuota(std::string_view customer,
                        const CustomerQuota& quota) override;
  absl::StatusOr<CustomerUsage> Usage(std::string_view customer) override;
  absl::Status SetRetention(std::string_view customer,
                            const CustomerRetention& retention) override;
  FeedPosition FirstRetained(std::string_view customer) override;
  absl::StatusOr<RetentionRound> EnforceRetention() override;
  void DeleteStream(std::string_view customer, std::string_view stream,
                    ExpectedRevision expected, bool tombstone,
                    AppendCallback done) override;

  absl::Status CheckCustomerExists(std::string_view customer) override;
  absl::StatusOr<FeedReadResult> ReadFeed(std::string_view customer,
                                          FeedPosition from,
                                          ReadDirection direction,
                                          const ReadLimits& limits,
                                          const EventFilter& filter) override;
  absl::StatusOr<StreamReadResult> ReadStream(
      std::string_view customer, std::string_view stream, StreamRevision from,
      ReadDirection direction, const ReadLimits& limits) override;
  absl::StatusOr<LookupResult> Lookup(
      std::string_view customer, const std::vector<EventId>& ids,
      const std::vector<FeedPosition>& positions, bool include_data) override;
  FeedPosition Head(std::string_view customer) override;
  std::shared_ptr<FeedTail> Tail(std::string_view customer) override;
  absl::Status WriteHealth() override;
  StorageStatistics Statistics() override;
  absl::StatusOr<BackupInfo> CreateBackup(const std::string& dir) override;
  void Close() override;

 private:
  explicit RocksEventLog(const EventLogOptions& options);

  absl::Status OpenDatabase();
  absl::Status CheckOrWriteFormat();
  absl::Status RecoverCustomers();
  // Sums the segment records of every customer into stored_bytes_.
  absl::Status RecoverStoredBytes();
  void StartCommitter(uint64_t disk_reserve_bytes);
  // The retention thread (options_.retention_interval_ms > 0).
  void StartRetention();
  void StopRetention();
  // Reads segment `segment` of `customer` (not the head's) and what must go
  // with it.
  absl::StatusOr<SegmentDrop> PlanSegmentDrop(CustomerKey customer,
                                              const keys::SegmentRecord& record,
                                              uint64_t segment);
  // Commits `drop` through the commit thread and waits for it.
  absl::StatusOr<AppendResult> CommitDrop(const std::string& customer,
                                          SegmentDrop drop);
  // Under drop_mu_: the segments `customer`'s current policy drops (the
  // head's and later ones stay), each committed oldest first; counted in
  // `round`. The dropped positions, first and last ({0, 0}: none).
  absl::StatusOr<std::pair<FeedPosition, FeedPosition>> DropSegments(
      CustomerKey customer, const std::string& name, FeedPosition head,
      RetentionRound* round);
  // Removes a deleted customer's tail and closes it.
  void DropTail(const std::string& customer);
  void Publish(const std::string& customer,
               std::vector<std::shared_ptr<const RecordedEvent>> events);
  // Reads the events at `positions` into `out` (nullopt where missing); used
  // by stream reads and lookups.
  // Fails with RESOURCE_EXHAUSTED beyond `max_bytes` of data.
  absl::Status ReadPositions(CustomerKey key, std::string_view customer,
                             const std::vector<FeedPosition>& positions,
                             bool include_data, size_t max_bytes,
                             std::vector<std::optional<RecordedEvent>>* out);

  // Constant after open.
  const EventLogOptions options_;
  RocksHandles rocks_;
  CustomerDirectory directory_;
  std::unique_ptr<TokenStore> tokens_;
  std::unique_ptr<QuotaStore> quotas_;
  std::unique_ptr<CheckpointStore> checkpoints_;
  std::unique_ptr<RetentionStore> retention_;
  StoredBytes stored_bytes_;
  std::unique_ptr<AppendSequencer> sequencer_;
  std::unique_ptr<GroupCommitter> committer_;

  Mutex tails_mu_;
  // Tails of customers that have events (or are being created).
  absl::flat_hash_map<std::string, std::shared_ptr<FeedTail>> tails_
      ABSL_GUARDED_BY(tails_mu_);
  // Tails of names without events, held only by their subscribers, so that
  // subscribing to arbitrary names cannot grow memory. The first append of
  // the customer promotes a live one into tails_.
  absl::flat_hash_map<std::string, std::weak_ptr<FeedTail>> unknown_tails_
      ABSL_GUARDED_BY(tails_mu_);
  size_t unknown_tails_sweep_at_ ABSL_GUARDED_BY(tails_mu_) = 64;
  bool closed_ ABSL_GUARDED_BY(tails_mu_) = false;
  Mutex close_mu_;

  Mutex retention_mu_;
  bool retention_stopping_ ABSL_GUARDED_BY(retention_mu_) = false;
  std::thread retention_thread_;
  Mutex enforce_mu_;  // One EnforceRetention at a time.
  // Held by EnforceRetention from reading a customer's policy to committing
  // the drops it selected (not while compacting), and by SetRetention: once
  // SetRetention returns, no drop selected under the previous policy is
  // made. Acquired after enforce_mu_.
  Mutex drop_mu_ ABSL_ACQUIRED_AFTER(enforce_mu_);
};

}  // namespace evstore

#endif  // EVSTORE_STORAGE_ROCKSDB_EVENT_LOG_H_
