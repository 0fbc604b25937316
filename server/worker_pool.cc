#include "server/worker_pool.h"

#include <pthread.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace evstore::server {

WorkerPool::WorkerPool(std::string_view name, int threads) {
  MutexLock lock(&join_mu_);
  const int count = std::max(threads, 1);
  threads_.reserve(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    threads_.emplace_back([this] { RunWorker(); });
    // Linux limits thread names to 15 characters; a longer one is rejected
    // and the thread just keeps its inherited name.
    const std::string thread_name =
        absl::StrCat(std::string(name), "-", i).substr(0, 15);
    pthread_setname_np(threads_.back().native_handle(), thread_name.c_str());
  }
}

WorkerPool::~WorkerPool() { Stop(); }

bool WorkerPool::Schedule(Task task) {
  MutexLock lock(&mu_);
  if (stopping_) return false;
  queue_.push_back(std::move(task));
  return true;
}

void WorkerPool::Stop() {
  MutexLock join_lock(&join_mu_);
  {
    MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& thread : threads_) thread.join();
  threads_.clear();
}

void WorkerPool::RunWorker() {
  while (true) {
    Task task;
    {
      MutexLock lock(&mu_);
      mu_.Await(absl::Condition(this, &WorkerPool::HasWorkOrStopping));
      if (queue_.empty()) return;  // Stopping, and everything queued ran.
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    std::move(task)();
  }
}

}  // namespace evstore::server
