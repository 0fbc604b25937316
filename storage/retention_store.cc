#include "storage/retention_store.h"

#include <rocksdb/write_batch.h>

#include <algorithm>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "storage/key_format.h"

namespace evstore {

RetentionStore::RetentionStore(rocksdb::DB* db,
                               rocksdb::ColumnFamilyHandle* meta)
    : db_(db), meta_(meta) {}

absl::Status RetentionStore::Load() {
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), meta_));
  MutexLock lock(&mu_);
  for (it->Seek(std::string(keys::kRetentionKeyPrefix)); it->Valid();
       it->Next()) {
    const std::string_view key = it->key().ToStringView();
    if (!key.starts_with(keys::kRetentionKeyPrefix)) break;
    std::optional<CustomerKey> customer = keys::ParseRetentionKey(key);
    std::optional<CustomerRetention> retention =
        ParseCustomerRetention(it->value().ToStringView());
    if (!customer || !retention) {
      return absl::DataLossError("malformed customer retention record");
    }
    policies_[*customer] = *retention;
  }
  // Segment records sort by customer, then segment: the first of each
  // customer is its oldest retained one.
  for (it->Seek("sg"); it->Valid(); it->Next()) {
    std::optional<CustomerKey> customer =
        keys::ParseSegmentKeyCustomer(it->key().ToStringView());
    if (!customer) break;
    if (first_retained_.contains(*customer)) continue;
    std::optional<keys::SegmentRecord> record =
        keys::ParseSegmentRecord(it->value().ToStringView());
    if (!record) return absl::DataLossError("malformed segment record");
    first_retained_[*customer] = record->first_position;
  }
  if (!it->status().ok()) {
    return absl::DataLossError(absl::StrCat(
        "cannot read the retention records: ", it->status().ToString()));
  }
  return absl::OkStatus();
}

CustomerRetention RetentionStore::Get(CustomerKey customer) const {
  ReaderMutexLock lock(&mu_);
  auto it = policies_.find(customer);
  return it == policies_.end() ? CustomerRetention{} : it->second;
}

std::vector<std::pair<CustomerKey, CustomerRetention>>
RetentionStore::Policies() const {
  ReaderMutexLock lock(&mu_);
  return {policies_.begin(), policies_.end()};
}

absl::Status RetentionStore::Set(CustomerKey customer,
                                 const CustomerRetention& retention) {
  if (absl::Status s = ValidateCustomerRetention(retention); !s.ok()) return s;
  MutexLock write_lock(&write_mu_);
  rocksdb::WriteBatch batch;
  if (retention.KeepsEverything()) {
    batch.Delete(meta_, keys::RetentionKey(customer));
  } else {
    batch.Put(meta_, keys::RetentionKey(customer),
              EncodeCustomerRetention(retention));
  }
  rocksdb::WriteOptions sync;
  sync.sync = true;
  if (rocksdb::Status s = db_->Write(sync, &batch); !s.ok()) {
    return absl::UnavailableError(
        absl::StrCat("cannot write the retention policy: ", s.ToString()));
  }
  MutexLock lock(&mu_);
  if (retention.KeepsEverything()) {
    policies_.erase(customer);
  } else {
    policies_[customer] = retention;
  }
  return absl::OkStatus();
}

FeedPosition RetentionStore::FirstRetained(CustomerKey customer) const {
  ReaderMutexLock lock(&mu_);
  auto it = first_retained_.find(customer);
  return it == first_retained_.end() ? FeedPosition(1) : it->second;
}

void RetentionStore::RaiseFirstRetained(CustomerKey customer,
                                        FeedPosition position) {
  MutexLock lock(&mu_);
  FeedPosition& floor = first_retained_[customer];
  floor = std::max({floor, position, FeedPosition(1)});
}

void RetentionStore::Forget(CustomerKey customer) {
  MutexLock lock(&mu_);
  policies_.erase(customer);
  first_retained_.erase(customer);
}

}  // namespace evstore
