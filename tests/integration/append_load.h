// AppendLoad: concurrent appends against a real evstored, through append
// sessions (several appends in flight each) and unary Append calls, that
// remembers exactly which events the server acknowledged. For tests that
// stop, crash or back up the server under load and then check that nothing
// acknowledged is missing.
#ifndef EVSTORE_TESTS_INTEGRATION_APPEND_LOAD_H_
#define EVSTORE_TESTS_INTEGRATION_APPEND_LOAD_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/append_session.h"
#include "client/evstore_client.h"
#include "tests/integration/test_events.h"

namespace evstore::testing {

class AppendLoad {
 public:
  struct Options {
    std::string customer = kOrsted;
    int session_writers = 3;
    int unary_writers = 3;
    // Appends each session writer keeps in flight.
    int session_window = 8;
    int events_per_append = 2;
  };

  // `connect` makes one client per writer (each writer its own connection).
  template <typename Connect>
  AppendLoad(Options options, Connect connect)
      : options_(std::move(options)),
        writers_(static_cast<size_t>(options_.session_writers +
                                     options_.unary_writers)),
        acked_ids_by_writer_(writers_) {
    for (size_t w = 0; w < writers_; ++w) clients_.push_back(connect());
    for (int w = 0; w < static_cast<int>(writers_); ++w) {
      const bool session = w < options_.session_writers;
      threads_.emplace_back([this, w, session] {
        if (session) {
          RunSessionWriter(w);
        } else {
          RunUnaryWriter(w);
        }
      });
    }
  }
  ~AppendLoad() { Stop(); }
  AppendLoad(const AppendLoad&) = delete;
  AppendLoad& operator=(const AppendLoad&) = delete;

  // Stream of writer `w`.
  static std::string StreamOf(int w) {
    return "contract/LOAD" + std::to_string(w) + "/nominations";
  }

  // Blocks until at least `count` events are acknowledged; false when that
  // does not happen within `timeout` (or every writer has stopped).
  bool WaitForAcked(uint64_t count, absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    while (true) {
      {
        absl::MutexLock lock(&mu_);
        if (acked_events_ >= count) return true;
        if (stopped_writers_ == writers_) return false;
      }
      if (absl::Now() > deadline) return false;
      absl::SleepFor(absl::Milliseconds(10));
    }
  }

  // Asks the writers to stop and joins them (a writer also stops by itself
  // at its first failed append).
  void Stop() {
    stop_.store(true);
    for (std::thread& thread : threads_) {
      if (thread.joinable()) thread.join();
    }
  }

  // Every acknowledged event id, per writer (in append order).
  std::vector<std::vector<std::string>> AckedIds() const {
    absl::MutexLock lock(&mu_);
    return acked_ids_by_writer_;
  }
  uint64_t AckedEvents() const {
    absl::MutexLock lock(&mu_);
    return acked_events_;
  }
  // The first error of each writer that stopped on one.
  std::vector<absl::Status> Errors() const {
    absl::MutexLock lock(&mu_);
    return errors_;
  }

 private:
  v1::AppendRequest Request(int w, uint64_t n) const {
    return SingleWrite(
        options_.customer, StreamOf(w), static_cast<uint32_t>(0x10ad0000 + w),
        n * options_.events_per_append, options_.events_per_append);
  }

  void RecordAck(int w, const v1::AppendRequest& request) {
    absl::MutexLock lock(&mu_);
    for (std::string& id : IdsOf(request)) {
      acked_ids_by_writer_[w].push_back(std::move(id));
      ++acked_events_;
    }
  }

  void RecordStop(const absl::Status& status) {
    absl::MutexLock lock(&mu_);
    if (!status.ok()) errors_.push_back(status);
    ++stopped_writers_;
  }

  void RunUnaryWriter(int w) {
    absl::Status failure;
    for (uint64_t n = 0; !stop_.load(); ++n) {
      const v1::AppendRequest request = Request(w, n);
      absl::StatusOr<v1::AppendResponse> response =
          clients_[w]->Append(request);
      if (!response.ok()) {
        failure = response.status();
        break;
      }
      RecordAck(w, request);
    }
    RecordStop(failure);
  }

  void RunSessionWriter(int w) {
    std::unique_ptr<client::AppendSession> session =
        clients_[w]->OpenAppendSession();
    using Pending = std::pair<v1::AppendRequest,
                              std::future<absl::StatusOr<v1::AppendResponse>>>;
    std::deque<Pending> in_flight;
    absl::Status failure;
    uint64_t n = 0;
    while (failure.ok() && (!stop_.load() || !in_flight.empty())) {
      while (!stop_.load() &&
             in_flight.size() < static_cast<size_t>(options_.session_window)) {
        v1::AppendRequest request = Request(w, n++);
        auto future = session->Append(request);
        in_flight.emplace_back(std::move(request), std::move(future));
      }
      if (in_flight.empty()) break;
      Pending front = std::move(in_flight.front());
      in_flight.pop_front();
      absl::StatusOr<v1::AppendResponse> response = front.second.get();
      if (!response.ok()) {
        failure = response.status();
        break;
      }
      RecordAck(w, front.first);
    }
    // Appends still in flight after a failure may or may not have been
    // recorded; only acknowledged ones are counted. Their replies are
    // awaited so that none is dropped unseen.
    for (Pending& pending : in_flight) {
      absl::StatusOr<v1::AppendResponse> response = pending.second.get();
      if (response.ok()) RecordAck(w, pending.first);
    }
    session->Cancel();
    RecordStop(failure);
  }

  // Constant after construction.
  const Options options_;
  const size_t writers_;
  std::vector<std::unique_ptr<client::Client>> clients_;
  std::vector<std::thread> threads_;

  std::atomic<bool> stop_{false};
  mutable absl::Mutex mu_;
  std::vector<std::vector<std::string>> acked_ids_by_writer_
      ABSL_GUARDED_BY(mu_);
  uint64_t acked_events_ ABSL_GUARDED_BY(mu_) = 0;
  size_t stopped_writers_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<absl::Status> errors_ ABSL_GUARDED_BY(mu_);
};

}  // namespace evstore::testing

#endif  // EVSTORE_TESTS_INTEGRATION_APPEND_LOAD_H_
