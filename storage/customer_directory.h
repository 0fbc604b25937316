// CustomerDirectory: customer names and their internal keys, in memory.
#ifndef EVSTORE_STORAGE_CUSTOMER_DIRECTORY_H_
#define EVSTORE_STORAGE_CUSTOMER_DIRECTORY_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/btree_map.h"
#include "base/mutex.h"
#include "storage/types.h"

namespace evstore {

// One customer as the directory knows it.
struct CustomerEntry {
  std::string name;
  CustomerKey key;
  // Unix time in microseconds; nullopt for customers created by a version
  // that did not record it.
  std::optional<int64_t> created_at_micros;
};

// Maps customer names to the dense keys that prefix their data on disk, in
// name order. Loaded at open; extended by the commit thread when a customer
// is created (in the write batch that records it). Thread-safe.
class CustomerDirectory {
 public:
  CustomerDirectory() = default;
  CustomerDirectory(const CustomerDirectory&) = delete;
  CustomerDirectory& operator=(const CustomerDirectory&) = delete;

  std::optional<CustomerKey> Find(std::string_view name) const;

  // The customer named `name`, if it exists.
  std::optional<CustomerEntry> Get(std::string_view name) const;

  // At most `limit` customers whose names sort after `after` (all of them
  // when `after` is empty), in name order.
  std::vector<CustomerEntry> List(std::string_view after, size_t limit) const;

  // Records a customer. Keys must be unique and names new.
  void Add(std::string_view name, CustomerKey key,
           std::optional<int64_t> created_at_micros);

  // Forgets a customer (it is being deleted); its key stays used.
  void Remove(std::string_view name);

  // The key a new customer gets next: above every key ever added or
  // reserved, so the key of a deleted customer is never given out again.
  CustomerKey NextKey() const;

  // Raises NextKey to at least `next` (the stored high-water mark at open).
  void ReserveKeysBelow(CustomerKey next);

 private:
  struct Value {
    CustomerKey key;
    std::optional<int64_t> created_at_micros;
  };

  mutable Mutex mu_;
  // Ordered, for listing in name order.
  absl::btree_map<std::string, Value> by_name_ ABSL_GUARDED_BY(mu_);
  CustomerKey next_key_ ABSL_GUARDED_BY(mu_) = CustomerKey(1);
};

}  // namespace evstore

#endif  // EVSTORE_STORAGE_CUSTOMER_DIRECTORY_H_
