// WorkerPool: a small fixed set of threads for work that must not run on a
// gRPC callback thread or on the storage commit thread (blocking disk reads,
// live-tail fetches).
#ifndef EVSTORE_SERVER_WORKER_POOL_H_
#define EVSTORE_SERVER_WORKER_POOL_H_

#include <deque>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "base/mutex.h"

namespace evstore::server {

// Runs tasks in FIFO order on `threads` threads.
//
// The queue has no fixed bound: every user (one RPC) keeps at most one task
// queued at a time, so the queue is bounded by the number of open RPCs.
// Thread-safe: Schedule may be called from any thread, including from a task.
class WorkerPool {
 public:
  using Task = absl::AnyInvocable<void() &&>;

  // Starts `threads` (at least 1) threads named "<name>-<i>".
  WorkerPool(std::string_view name, int threads);
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;
  // Calls Stop().
  ~WorkerPool();

  // Queues `task`. Returns false, dropping the task without running it, once
  // Stop() has begun; the caller must then finish its work another way.
  [[nodiscard]] bool Schedule(Task task);

  // Refuses new tasks, runs the ones already queued, and joins the threads.
  // Must not be called from a task. Idempotent.
  void Stop();

 private:
  void RunWorker();
  bool HasWorkOrStopping() const ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return stopping_ || !queue_.empty();
  }

  Mutex mu_;
  std::deque<Task> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;

  // Joined and cleared by the first Stop() call.
  Mutex join_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  std::vector<std::thread> threads_ ABSL_GUARDED_BY(join_mu_);
};

}  // namespace evstore::server

#endif  // EVSTORE_SERVER_WORKER_POOL_H_
