#include "storage/rocksdb_event_log.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "storage/absl_string_view.h"

namespace evstore {

RocksHandles::~RocksHandles() {
  if (!db) return;
  for (rocksdb::ColumnFamilyHandle* handle :
       {events, streams, ids, meta, default_family}) {
    if (handle != nullptr) db->DestroyColumnFamilyHandle(handle);
  }
  db->Close();
  db.reset();
}

absl::StatusOr<std::unique_ptr<EventLog>> EventLog::Open(
    const EventLogOptions& options) {
  absl::StatusOr<std::unique_ptr<RocksEventLog>> log =
      RocksEventLog::OpenLog(options);
  if (!log.ok()) return log.status();
  return std::unique_ptr<EventLog>(std::move(*log));
}

RocksEventLog::RocksEventLog(const EventLogOptions& options)
    : options_(options) {}

RocksEventLog::~RocksEventLog() { Close(); }

void RocksEventLog::StartCommitter(uint64_t disk_reserve_bytes) {
  GroupCommitterOptions committer_options;
  committer_options.durability = options_.durability;
  committer_options.max_queued_bytes = options_.max_queued_bytes;
  committer_options.max_group_bytes = options_.max_group_bytes;
  committer_options.data_dir = options_.data_dir;
  committer_options.disk_reserve_bytes = disk_reserve_bytes;
  committer_options.metrics_sink = options_.metrics_sink;
  committer_ = std::make_unique<GroupCommitter>(
      committer_options, &rocks_, sequencer_.get(),
      [this](const std::string& customer,
             std::vector<std::shared_ptr<const RecordedEvent>> events) {
        Publish(customer, std::move(events));
      });
}

void RocksEventLog::Append(AppendBatch batch, AppendCallback done) {
  committer_->Enqueue(std::move(batch), std::move(done));
}

void RocksEventLog::AppendMany(std::vector<AppendBatch> batches,
                               AppendManyCallback done) {
  committer_->EnqueueMany(std::move(batches), std::move(done));
}

void RocksEventLog::CreateCustomer(
    std::string_view customer, absl::AnyInvocable<void(absl::Status)> done) {
  AppendBatch batch;
  batch.customer = std::string(customer);
  batch.kind = AppendBatch::Kind::kCreateCustomer;
  committer_->Enqueue(std::move(batch),
                      [done = std::move(done)](
                          const absl::StatusOr<AppendResult>& result) mutable {
                        done(result.status());
                      });
}

void RocksEventLog::DeleteCustomer(std::string_view customer,
                                   DeleteCustomerCallback done) {
  // Tokens first: after a crash in between, the customer still exists but
  // no token of it widens to another customer of the same name later.
  absl::StatusOr<size_t> revoked = tokens_->ForgetCustomer(customer);
  if (!revoked.ok()) {
    done(revoked.status());
    return;
  }
  AppendBatch batch;
  batch.customer = std::string(customer);
  batch.kind = AppendBatch::Kind::kDeleteCustomer;
  // The key it has now is the one deleted: a customer (re)created in between
  // gets a new key.
  const std::optional<CustomerKey> key = directory_.Find(customer);
  committer_->Enqueue(std::move(batch),
                      [this, key, name = std::string(customer),
                       revoked = *revoked, done = std::move(done)](
                          const absl::StatusOr<AppendResult>& result) mutable {
                        if (!result.ok()) {
                          done(result.status());
                          return;
                        }
                        if (key) quotas_->Forget(*key);
                        DropTail(name);
                        if (options_.metrics_sink != nullptr) {
                          options_.metrics_sink->OnCustomerDeleted(name);
                        }
                        done(revoked);
                      });
}

std::optional<CustomerInfo> RocksEventLog::Customer(std::string_view customer) {
  std::optional<CustomerEntry> entry = directory_.Get(customer);
  if (!entry) return std::nullopt;
  return CustomerInfo{
      std::move(entry->name),      Head(customer),
      entry->created_at_micros,    quotas_->Get(entry->key),
      retention_->Get(entry->key), retention_->FirstRetained(entry->key)};
}

std::vector<CustomerInfo> RocksEventLog::Customers(std::string_view after,
                                                   size_t limit) {
  std::vector<CustomerInfo> customers;
  for (CustomerEntry& entry : directory_.List(after, limit)) {
    const FeedPosition head = Head(entry.name);
    customers.push_back(
        CustomerInfo{std::move(entry.name), head, entry.created_at_micros,
                     quotas_->Get(entry.key), retention_->Get(entry.key),
                     retention_->FirstRetained(entry.key)});
  }
  return customers;
}

absl::Status RocksEventLog::SetQuota(std::string_view customer,
                                     const CustomerQuota& quota) {
  if (absl::Status s = ValidateCustomerQuota(quota); !s.ok()) return s;
  const std::optional<CustomerKey> key = directory_.Find(customer);
  if (!key) {
    return absl::NotFoundError(
        absl::StrCat("customer \"", AsAbsl(customer), "\" does not exist"));
  }
  return quotas_->Set(*key, quota);
}

absl::StatusOr<CustomerUsage> RocksEventLog::Usage(std::string_view customer) {
  const std::optional<CustomerKey> key = directory_.Find(customer);
  if (!key) {
    return absl::NotFoundError(
        absl::StrCat("customer \"", AsAbsl(customer), "\" does not exist"));
  }
  return CustomerUsage{quotas_->Get(*key), stored_bytes_.Get(*key)};
}

absl::Status RocksEventLog::CheckCustomerExists(std::string_view customer) {
  if (options_.auto_create_customers || directory_.Find(customer)) {
    return absl::OkStatus();
  }
  return absl::NotFoundError(
      absl::StrCat("customer \"", AsAbsl(customer), "\" does not exist"));
}

void RocksEventLog::DropTail(const std::string& customer) {
  std::shared_ptr<FeedTail> tail;
  {
    MutexLock lock(&tails_mu_);
    auto it = tails_.find(customer);
    if (it == tails_.end()) return;
    tail = std::move(it->second);
    tails_.erase(it);
  }
  // Its subscribers end (NOT_FOUND); a customer created later gets a new
  // tail.
  tail->Close(FeedTail::CloseReason::kCustomerDeleted);
}

void RocksEventLog::Publish(
    const std::string& customer,
    std::vector<std::shared_ptr<const RecordedEvent>> events) {
  Tail(customer)->Publish(std::move(events));
}

FeedPosition RocksEventLog::Head(std::string_view customer) {
  MutexLock lock(&tails_mu_);
  auto it = tails_.find(AsAbsl(customer));
  return it == tails_.end() ? FeedPosition(0) : it->second->head();
}

std::shared_ptr<FeedTail> RocksEventLog::Tail(std::string_view customer) {
  std::shared_ptr<FeedTail> tail;
  bool close_it = false;
  {
    MutexLock lock(&tails_mu_);
    if (auto it = tails_.find(AsAbsl(customer)); it != tails_.end()) {
      return it->second;
    }
    const bool known = directory_.Find(customer).has_value();
    auto unknown = unknown_tails_.find(AsAbsl(customer));
    if (unknown != unknown_tails_.end()) tail = unknown->second.lock();
    if (!tail) {
      tail = std::make_shared<FeedTail>(
          FeedPosition(0), options_.tail_max_events, options_.tail_max_bytes);
      close_it = closed_;
    }
    if (known) {
      // The customer's first append is being published: from now on the
      // tail lives as long as the log.
      if (unknown != unknown_tails_.end()) unknown_tails_.erase(unknown);
      tails_.emplace(std::string(customer), tail);
    } else if (unknown != unknown_tails_.end()) {
      unknown->second = tail;
    } else {
      // Sweep expired entries whenever the map doubles, keeping it
      // proportional to the live subscriptions.
      if (unknown_tails_.size() >= unknown_tails_sweep_at_) {
        absl::erase_if(unknown_tails_, [](const auto& entry) {
          return entry.second.expired();
        });
        unknown_tails_sweep_at_ =
            std::max<size_t>(64, 2 * unknown_tails_.size());
      }
      unknown_tails_.emplace(std::string(customer), tail);
    }
  }
  if (close_it) tail->Close();
  return tail;
}

absl::Status RocksEventLog::WriteHealth() {
  if (!committer_) return absl::UnavailableError("the event log is closed");
  return committer_->Health();
}

void RocksEventLog::Close() {
  MutexLock close_lock(&close_mu_);
  StopRetention();
  if (committer_) committer_->Stop();
  if (checkpoints_) checkpoints_->Stop();
  std::vector<std::shared_ptr<FeedTail>> tails;
  {
    MutexLock lock(&tails_mu_);
    closed_ = true;
    for (auto& [name, tail] : tails_) tails.push_back(tail);
    for (auto& [name, weak] : unknown_tails_) {
      if (std::shared_ptr<FeedTail> tail = weak.lock()) tails.push_back(tail);
    }
  }
  for (auto& tail : tails) tail->Close();
}

}  // namespace evstore
