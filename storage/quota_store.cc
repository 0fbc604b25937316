#include "storage/quota_store.h"

#include <rocksdb/write_batch.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "storage/key_format.h"

namespace evstore {

QuotaStore::QuotaStore(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* meta)
    : db_(db), meta_(meta) {}

absl::Status QuotaStore::Load() {
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), meta_));
  MutexLock lock(&mu_);
  for (it->Seek(std::string(keys::kQuotaKeyPrefix)); it->Valid(); it->Next()) {
    const std::string_view key = it->key().ToStringView();
    if (!key.starts_with(keys::kQuotaKeyPrefix)) break;
    std::optional<CustomerKey> customer = keys::ParseQuotaKey(key);
    std::optional<CustomerQuota> quota =
        ParseCustomerQuota(it->value().ToStringView());
    if (!customer || !quota) {
      return absl::DataLossError("malformed customer quota record");
    }
    quotas_[*customer] = *quota;
  }
  if (!it->status().ok()) {
    return absl::DataLossError(
        absl::StrCat("cannot read the quotas: ", it->status().ToString()));
  }
  return absl::OkStatus();
}

CustomerQuota QuotaStore::Get(CustomerKey customer) const {
  ReaderMutexLock lock(&mu_);
  auto it = quotas_.find(customer);
  return it == quotas_.end() ? CustomerQuota{} : it->second;
}

absl::Status QuotaStore::Set(CustomerKey customer, const CustomerQuota& quota) {
  if (absl::Status s = ValidateCustomerQuota(quota); !s.ok()) return s;
  MutexLock write_lock(&write_mu_);
  rocksdb::WriteBatch batch;
  if (quota.IsUnlimited()) {
    batch.Delete(meta_, keys::QuotaKey(customer));
  } else {
    batch.Put(meta_, keys::QuotaKey(customer), EncodeCustomerQuota(quota));
  }
  rocksdb::WriteOptions sync;
  sync.sync = true;
  if (rocksdb::Status s = db_->Write(sync, &batch); !s.ok()) {
    return absl::UnavailableError(
        absl::StrCat("cannot write the customer quota: ", s.ToString()));
  }
  MutexLock lock(&mu_);
  if (quota.IsUnlimited()) {
    quotas_.erase(customer);
  } else {
    quotas_[customer] = quota;
  }
  return absl::OkStatus();
}

void QuotaStore::Forget(CustomerKey customer) {
  MutexLock lock(&mu_);
  quotas_.erase(customer);
}

}  // namespace evstore
