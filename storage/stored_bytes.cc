#include "storage/stored_bytes.h"

#include <algorithm>

namespace evstore {

void StoredBytes::Add(CustomerKey customer, uint64_t bytes) {
  MutexLock lock(&mu_);
  bytes_[customer] += bytes;
}

void StoredBytes::Subtract(CustomerKey customer, uint64_t bytes) {
  MutexLock lock(&mu_);
  auto it = bytes_.find(customer);
  if (it == bytes_.end()) return;
  it->second -= std::min(it->second, bytes);
}

uint64_t StoredBytes::Get(CustomerKey customer) const {
  ReaderMutexLock lock(&mu_);
  auto it = bytes_.find(customer);
  return it == bytes_.end() ? 0 : it->second;
}

void StoredBytes::Remove(CustomerKey customer) {
  MutexLock lock(&mu_);
  bytes_.erase(customer);
}

}  // namespace evstore
