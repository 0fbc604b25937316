// TokenStore: the access tokens that may call evstored, by the SHA-256 hash
// of their secret (see access_token.h), with their role and customers.
// Persisted in the meta column family ("tk" | hash -> TokenRecord) and held
// in memory, so that authenticating a call never touches the disk.
#ifndef EVSTORE_STORAGE_TOKEN_STORE_H_
#define EVSTORE_STORAGE_TOKEN_STORE_H_

#include <rocksdb/db.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/btree_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/mutex.h"

namespace evstore {

enum class TokenRole : uint8_t { kAdmin = 1, kProducer = 2, kConsumer = 3 };

struct TokenRecord {
  // HashAccessToken of the secret (kAccessTokenHashSize bytes).
  std::string hash;
  TokenRole role = TokenRole::kConsumer;
  // The customers the token is limited to, sorted, no duplicates: empty for
  // an admin and an unrestricted producer, exactly one for a consumer.
  std::vector<std::string> customers;
  std::string description;
  int64_t created_at_micros = 0;
};

// The meta key of a token and the record's value encoding.
std::string TokenKey(std::string_view hash);
inline constexpr std::string_view kTokenKeyPrefix = "tk";
std::string EncodeTokenRecord(const TokenRecord& record);
// Nullopt when `value` is malformed.
std::optional<TokenRecord> ParseTokenRecord(std::string_view hash,
                                            std::string_view value);

// Thread-safe. Writes are synchronous (fsync'd) RocksDB writes.
class TokenStore {
 public:
  // `db` and `meta` must outlive the store.
  TokenStore(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* meta);
  TokenStore(const TokenStore&) = delete;
  TokenStore& operator=(const TokenStore&) = delete;

  // Reads every token into memory; call once, before anything else.
  absl::Status Load();

  // Stores a token. INVALID_ARGUMENT when the record breaks the rules of its
  // role (see TokenRecord::customers) or the hash has the wrong size,
  // ALREADY_EXISTS for a known hash.
  absl::Status Create(TokenRecord record);

  // The token with this hash, if it exists (memory only).
  std::optional<TokenRecord> Lookup(std::string_view hash) const;

  // Every token, in hash (= token id) order.
  std::vector<TokenRecord> List() const;

  // True when at least one admin token exists.
  bool HasAdmin() const;

  // Revokes the token whose AccessTokenId is `token_id`. It stops
  // authenticating before the write is made durable. NOT_FOUND when no
  // token has that id.
  absl::Status Revoke(std::string_view token_id);

  // Before a customer is deleted: revokes the tokens limited to `customer`
  // alone and removes it from the tokens limited to several customers (a
  // customer created later with the same name is another customer). Returns
  // the number of revoked tokens.
  absl::StatusOr<size_t> ForgetCustomer(std::string_view customer);

 private:
  absl::Status Write(rocksdb::WriteBatch* batch);

  rocksdb::DB* const db_;
  rocksdb::ColumnFamilyHandle* const meta_;
  Mutex write_mu_;  // Serialises Create, Revoke and ForgetCustomer.
  mutable Mutex mu_;
  absl::btree_map<std::string, TokenRecord> by_hash_ ABSL_GUARDED_BY(mu_);
};

// OK when `record` obeys the rules of its role (see TokenRecord).
absl::Status ValidateTokenRecord(const TokenRecord& record);

}  // namespace evstore

#endif  // EVSTORE_STORAGE_TOKEN_STORE_H_
