#include "storage/token_store.h"

#include <rocksdb/write_batch.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "storage/absl_string_view.h"
#include "storage/access_token.h"
#include "storage/key_format.h"
#include "storage/names.h"

namespace evstore {
namespace {

bool ReadU32At(std::string_view value, size_t* offset, uint32_t* out) {
  if (value.size() - *offset < 4) return false;
  *out = keys::ReadU32(value.data() + *offset);
  *offset += 4;
  return true;
}

bool ReadStringAt(std::string_view value, size_t* offset, std::string* out) {
  uint32_t size = 0;
  if (!ReadU32At(value, offset, &size)) return false;
  if (value.size() - *offset < size) return false;
  out->assign(value.substr(*offset, size));
  *offset += size;
  return true;
}

void AppendString(std::string* out, std::string_view s) {
  keys::AppendU32(out, static_cast<uint32_t>(s.size()));
  out->append(s);
}

}  // namespace

std::string TokenKey(std::string_view hash) {
  return absl::StrCat(AsAbsl(kTokenKeyPrefix), AsAbsl(hash));
}

// role u8 | created_at u64 BE | customer count u32 BE | (size u32 BE |
// name)* | description size u32 BE | description.
std::string EncodeTokenRecord(const TokenRecord& record) {
  std::string value;
  value.push_back(static_cast<char>(record.role));
  keys::AppendU64(&value, static_cast<uint64_t>(record.created_at_micros));
  keys::AppendU32(&value, static_cast<uint32_t>(record.customers.size()));
  for (const std::string& customer : record.customers) {
    AppendString(&value, customer);
  }
  AppendString(&value, record.description);
  return value;
}

std::optional<TokenRecord> ParseTokenRecord(std::string_view hash,
                                            std::string_view value) {
  if (value.size() < 13) return std::nullopt;
  TokenRecord record;
  record.hash = std::string(hash);
  const uint8_t role = static_cast<uint8_t>(value[0]);
  if (role < 1 || role > 3) return std::nullopt;
  record.role = static_cast<TokenRole>(role);
  record.created_at_micros =
      static_cast<int64_t>(keys::ReadU64(value.data() + 1));
  size_t offset = 9;
  uint32_t count = 0;
  if (!ReadU32At(value, &offset, &count)) return std::nullopt;
  for (uint32_t i = 0; i < count; ++i) {
    std::string customer;
    if (!ReadStringAt(value, &offset, &customer)) return std::nullopt;
    record.customers.push_back(std::move(customer));
  }
  if (!ReadStringAt(value, &offset, &record.description)) return std::nullopt;
  if (offset != value.size()) return std::nullopt;
  return record;
}

absl::Status ValidateTokenRecord(const TokenRecord& record) {
  if (record.hash.size() != kAccessTokenHashSize) {
    return absl::InvalidArgumentError("hash: must be a SHA-256 (32 bytes)");
  }
  for (size_t i = 0; i < record.customers.size(); ++i) {
    const std::string field = absl::StrCat("customers[", i, "]");
    if (absl::Status s = ValidateCustomerName(record.customers[i], field);
        !s.ok()) {
      return s;
    }
    if (i > 0 && record.customers[i - 1] >= record.customers[i]) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": customers must be sorted and distinct"));
    }
  }
  switch (record.role) {
    case TokenRole::kAdmin:
      if (!record.customers.empty()) {
        return absl::InvalidArgumentError(
            "customers: an admin token is not limited to customers");
      }
      return absl::OkStatus();
    case TokenRole::kProducer:
      return absl::OkStatus();
    case TokenRole::kConsumer:
      if (record.customers.size() != 1) {
        return absl::InvalidArgumentError(
            "customers: a consumer token names exactly one customer");
      }
      return absl::OkStatus();
  }
  return absl::InvalidArgumentError("role: unknown");
}

TokenStore::TokenStore(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* meta)
    : db_(db), meta_(meta) {}

absl::Status TokenStore::Load() {
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), meta_));
  MutexLock lock(&mu_);
  for (it->Seek(std::string(kTokenKeyPrefix)); it->Valid(); it->Next()) {
    const std::string_view key = it->key().ToStringView();
    if (!key.starts_with(kTokenKeyPrefix)) break;
    const std::string_view hash = key.substr(kTokenKeyPrefix.size());
    std::optional<TokenRecord> record =
        ParseTokenRecord(hash, it->value().ToStringView());
    if (!record) {
      return absl::DataLossError(
          absl::StrCat("malformed token record ", AccessTokenId(hash)));
    }
    by_hash_.emplace(std::string(hash), *std::move(record));
  }
  if (!it->status().ok()) {
    return absl::DataLossError(
        absl::StrCat("cannot read the tokens: ", it->status().ToString()));
  }
  return absl::OkStatus();
}

absl::Status TokenStore::Write(rocksdb::WriteBatch* batch) {
  rocksdb::WriteOptions sync;
  sync.sync = true;
  rocksdb::Status s = db_->Write(sync, batch);
  if (!s.ok()) {
    return absl::UnavailableError(
        absl::StrCat("cannot write the token store: ", s.ToString()));
  }
  return absl::OkStatus();
}

absl::Status TokenStore::Create(TokenRecord record) {
  if (absl::Status s = ValidateTokenRecord(record); !s.ok()) return s;
  MutexLock write_lock(&write_mu_);
  {
    ReaderMutexLock lock(&mu_);
    if (by_hash_.contains(record.hash)) {
      return absl::AlreadyExistsError("the token exists");
    }
  }
  rocksdb::WriteBatch batch;
  batch.Put(meta_, TokenKey(record.hash), EncodeTokenRecord(record));
  if (absl::Status s = Write(&batch); !s.ok()) return s;
  MutexLock lock(&mu_);
  by_hash_.emplace(record.hash, std::move(record));
  return absl::OkStatus();
}

std::optional<TokenRecord> TokenStore::Lookup(std::string_view hash) const {
  ReaderMutexLock lock(&mu_);
  auto it = by_hash_.find(AsAbsl(hash));
  if (it == by_hash_.end()) return std::nullopt;
  return it->second;
}

std::vector<TokenRecord> TokenStore::List() const {
  ReaderMutexLock lock(&mu_);
  std::vector<TokenRecord> tokens;
  tokens.reserve(by_hash_.size());
  for (const auto& [hash, record] : by_hash_) tokens.push_back(record);
  return tokens;
}

bool TokenStore::HasAdmin() const {
  ReaderMutexLock lock(&mu_);
  return std::any_of(by_hash_.begin(), by_hash_.end(), [](const auto& entry) {
    return entry.second.role == TokenRole::kAdmin;
  });
}

absl::Status TokenStore::Revoke(std::string_view token_id) {
  MutexLock write_lock(&write_mu_);
  std::string hash;
  {
    MutexLock lock(&mu_);
    auto it = std::find_if(by_hash_.begin(), by_hash_.end(),
                           [token_id](const auto& entry) {
                             return AccessTokenId(entry.first) == token_id;
                           });
    if (it == by_hash_.end()) {
      return absl::NotFoundError(
          absl::StrCat("no token has the id \"", AsAbsl(token_id), "\""));
    }
    hash = it->first;
    // Revoked at once, before the (slower) durable write.
    by_hash_.erase(it);
  }
  rocksdb::WriteBatch batch;
  batch.Delete(meta_, TokenKey(hash));
  return Write(&batch);
}

absl::StatusOr<size_t> TokenStore::ForgetCustomer(std::string_view customer) {
  MutexLock write_lock(&write_mu_);
  rocksdb::WriteBatch batch;
  size_t revoked = 0;
  {
    MutexLock lock(&mu_);
    for (auto it = by_hash_.begin(); it != by_hash_.end();) {
      std::vector<std::string>& customers = it->second.customers;
      auto named = std::find(customers.begin(), customers.end(), customer);
      if (named == customers.end()) {
        ++it;
        continue;
      }
      customers.erase(named);
      if (customers.empty()) {
        // Limited to this customer alone: an empty list would mean "all".
        batch.Delete(meta_, TokenKey(it->first));
        it = by_hash_.erase(it);
        ++revoked;
      } else {
        batch.Put(meta_, TokenKey(it->first), EncodeTokenRecord(it->second));
        ++it;
      }
    }
  }
  if (absl::Status s = Write(&batch); !s.ok()) return s;
  return revoked;
}

}  // namespace evstore
