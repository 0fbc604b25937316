// CustomerDirectory: customer names and their internal keys, in memory.
#ifndef EVSTORE_STORAGE_CUSTOMER_DIRECTORY_H_
#define EVSTORE_STORAGE_CUSTOMER_DIRECTORY_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "base/mutex.h"
#include "storage/types.h"

namespace evstore {

// Maps customer names to the dense keys that prefix their data on disk.
// Loaded at open; extended by the commit thread when a customer is created
// (in the write batch that records it). Thread-safe.
class CustomerDirectory {
 public:
  CustomerDirectory() = default;
  CustomerDirectory(const CustomerDirectory&) = delete;
  CustomerDirectory& operator=(const CustomerDirectory&) = delete;

  std::optional<CustomerKey> Find(std::string_view name) const;

  // Records a customer. Keys must be unique and names new.
  void Add(std::string_view name, CustomerKey key);

  // Forgets a customer (it is being deleted); its key stays used.
  void Remove(std::string_view name);

  // The key a new customer gets next: above every key ever added or
  // reserved, so the key of a deleted customer is never given out again.
  CustomerKey NextKey() const;

  // Raises NextKey to at least `next` (the stored high-water mark at open).
  void ReserveKeysBelow(CustomerKey next);

 private:
  mutable Mutex mu_;
  absl::flat_hash_map<std::string, CustomerKey> by_name_ ABSL_GUARDED_BY(mu_);
  CustomerKey next_key_ ABSL_GUARDED_BY(mu_) = CustomerKey(1);
};

}  // namespace evstore

#endif  // EVSTORE_STORAGE_CUSTOMER_DIRECTORY_H_
