#include "storage/customer_directory.h"

#include <cassert>

#include "storage/absl_string_view.h"

namespace evstore {

std::optional<CustomerKey> CustomerDirectory::Find(
    std::string_view name) const {
  ReaderMutexLock lock(&mu_);
  auto it = by_name_.find(AsAbsl(name));
  if (it == by_name_.end()) return std::nullopt;
  return it->second.key;
}

std::optional<CustomerEntry> CustomerDirectory::Get(
    std::string_view name) const {
  ReaderMutexLock lock(&mu_);
  auto it = by_name_.find(AsAbsl(name));
  if (it == by_name_.end()) return std::nullopt;
  return CustomerEntry{it->first, it->second.key, it->second.created_at_micros};
}

std::vector<CustomerEntry> CustomerDirectory::List(std::string_view after,
                                                   size_t limit) const {
  std::vector<CustomerEntry> entries;
  ReaderMutexLock lock(&mu_);
  for (auto it = by_name_.upper_bound(AsAbsl(after));
       it != by_name_.end() && entries.size() < limit; ++it) {
    entries.push_back(
        CustomerEntry{it->first, it->second.key, it->second.created_at_micros});
  }
  return entries;
}

void CustomerDirectory::Add(std::string_view name, CustomerKey key,
                            std::optional<int64_t> created_at_micros) {
  MutexLock lock(&mu_);
  const bool inserted =
      by_name_.emplace(std::string(name), Value{key, created_at_micros}).second;
  assert(inserted);
  (void)inserted;
  if (key.Next() > next_key_) next_key_ = key.Next();
}

void CustomerDirectory::Remove(std::string_view name) {
  MutexLock lock(&mu_);
  by_name_.erase(AsAbsl(name));
}

CustomerKey CustomerDirectory::NextKey() const {
  ReaderMutexLock lock(&mu_);
  return next_key_;
}

void CustomerDirectory::ReserveKeysBelow(CustomerKey next) {
  MutexLock lock(&mu_);
  if (next > next_key_) next_key_ = next;
}

}  // namespace evstore
