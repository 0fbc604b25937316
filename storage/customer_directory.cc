#include "storage/customer_directory.h"

#include <cassert>

#include "storage/absl_string_view.h"

namespace evstore {

std::optional<CustomerKey> CustomerDirectory::Find(
    std::string_view name) const {
  ReaderMutexLock lock(&mu_);
  auto it = by_name_.find(AsAbsl(name));
  if (it == by_name_.end()) return std::nullopt;
  return it->second;
}

void CustomerDirectory::Add(std::string_view name, CustomerKey key) {
  MutexLock lock(&mu_);
  const bool inserted = by_name_.emplace(std::string(name), key).second;
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
