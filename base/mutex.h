// evstore::Mutex, MutexLock and ReaderMutexLock: the mutex every evstore
// component uses. In normal builds they ARE absl::Mutex, absl::MutexLock and
// absl::ReaderMutexLock (aliases, no cost, no behaviour change).
//
// Why not absl::Mutex directly: ThreadSanitizer builds (EVSTORE_TSAN, see
// cmake/sanitizers.cmake). Debian's Abseil is not built with TSan, so
// absl::Mutex's Lock/Unlock/Await run inside the uninstrumented
// libabsl_synchronization.so, where they synchronise with raw atomics and
// futex syscalls that TSan cannot see. TSan then misses the happens-before
// every lock hand-off creates and reports each ABSL_GUARDED_BY field touched
// by two threads as a data race, burying the real ones.
//
// Under TSan, Mutex is therefore backed by std::mutex and
// std::condition_variable, which TSan intercepts (pthread), and implements
// absl's conditional waits (Await, AwaitWithTimeout) by evaluating the
// absl::Condition on the waiting thread while it holds the lock, after every
// Unlock's notification. That keeps absl::Mutex's semantics (a waiter returns
// with the lock held once the condition is true) and the Clang thread-safety
// annotations (ABSL_GUARDED_BY etc.), and TSan additionally checks lock order.
// The alternative, annotating absl::Mutex with the __tsan_mutex_* interface,
// cannot cover Await: absl evaluates our Conditions inside its own
// uninstrumented lock and unlock paths, on whichever thread unlocks.
//
// Only the part of absl::Mutex's API that evstore uses is provided; extend it
// here (for both builds) when a new call is needed.
#ifndef EVSTORE_BASE_MUTEX_H_
#define EVSTORE_BASE_MUTEX_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

#if defined(EVSTORE_TSAN)
#include <algorithm>
#include <condition_variable>
#include <mutex>
#endif

namespace evstore {

#if !defined(EVSTORE_TSAN)

using Mutex = absl::Mutex;
using MutexLock = absl::MutexLock;
using ReaderMutexLock = absl::ReaderMutexLock;

#else  // EVSTORE_TSAN

class ABSL_LOCKABLE Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mu_.lock(); }
  void Unlock() ABSL_UNLOCK_FUNCTION() {
    mu_.unlock();
    // Any unlock may make a waiter's condition true (as with absl::Mutex).
    changed_.notify_all();
  }
  // Shared locking is exclusive here: correct, only less concurrent.
  void ReaderLock() ABSL_SHARED_LOCK_FUNCTION() { Lock(); }
  void ReaderUnlock() ABSL_UNLOCK_FUNCTION() { Unlock(); }

  // Returns, with the lock still held, once `condition` is true. The lock is
  // released while waiting. The caller must hold the lock.
  void Await(const absl::Condition& condition) {
    std::unique_lock<std::mutex> held(mu_, std::adopt_lock);
    changed_.wait(held, [&condition] { return condition.Eval(); });
    held.release();
  }

  // As Await, but gives up after `timeout`. Returns the condition's value.
  bool AwaitWithTimeout(const absl::Condition& condition,
                        absl::Duration timeout) {
    std::unique_lock<std::mutex> held(mu_, std::adopt_lock);
    const absl::Time deadline = absl::Now() + timeout;
    bool met = condition.Eval();
    while (!met) {
      const absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) break;
      // Bounded steps keep an infinite timeout from overflowing the clock.
      changed_.wait_for(
          held, absl::ToChronoNanoseconds(std::min(left, absl::Hours(1))));
      met = condition.Eval();
    }
    held.release();
    return met;
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
};

class ABSL_SCOPED_LOCKABLE MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) {
    mu_->Lock();
  }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;
  ~MutexLock() ABSL_UNLOCK_FUNCTION() { mu_->Unlock(); }

 private:
  Mutex* const mu_;
};

class ABSL_SCOPED_LOCKABLE ReaderMutexLock {
 public:
  explicit ReaderMutexLock(Mutex* mu) ABSL_SHARED_LOCK_FUNCTION(mu) : mu_(mu) {
    mu_->ReaderLock();
  }
  ReaderMutexLock(const ReaderMutexLock&) = delete;
  ReaderMutexLock& operator=(const ReaderMutexLock&) = delete;
  ~ReaderMutexLock() ABSL_UNLOCK_FUNCTION() { mu_->ReaderUnlock(); }

 private:
  Mutex* const mu_;
};

#endif  // EVSTORE_TSAN

}  // namespace evstore

#endif  // EVSTORE_BASE_MUTEX_H_
