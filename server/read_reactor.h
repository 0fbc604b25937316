// ReadReactor: serves one Read call, a bounded range of one stream (by
// revision) or of a customer's feed (by position), in pages read on the disk
// pool and written one at a time.
#ifndef EVSTORE_SERVER_READ_REACTOR_H_
#define EVSTORE_SERVER_READ_REACTOR_H_

#include <atomic>
#include <cstdint>

#include "evstore/v1/evstore.pb.h"
#include "grpcpp/support/server_callback.h"
#include "server/request_validation.h"
#include "server/worker_pool.h"
#include "storage/event_log.h"

namespace evstore::server {

// Each ReadResponse carries at most 256 events and stops after the event that
// reaches 1 MiB of data. Pages are read only after the previous one has been
// written, so one Read holds at most one page in memory.
//
// Lifetime: deletes itself in OnDone. Exactly one of "a page read queued or
// running on the pool" and "a write in flight" exists at any time; whichever
// it is decides the next step and is the only caller of Finish, so no task
// can outlive the reactor. Cancellation is noticed at the next step.
class ReadReactor final : public grpc::ServerWriteReactor<v1::ReadResponse> {
 public:
  // Starts reading at once. `log` and `pool` must outlive the reactor.
  ReadReactor(EventLog* log, WorkerPool* pool, ReadParams params);

  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  // Queues ReadPage on the pool (or finishes when the pool is stopping).
  void QueueRead();
  // Reads the next page and writes it, or finishes. Runs on the pool.
  void ReadPage();

  // Constant after construction.
  EventLog* const log_;
  WorkerPool* const pool_;
  const ReadParams params_;

  // Owned by whoever holds the flow (the page read or the write in flight).
  uint64_t cursor_;     // The next revision or position to read (0: start).
  uint64_t remaining_;  // Events still wanted.
  bool more_ = true;    // Whether another page follows the one in flight.
  v1::ReadResponse response_;

  std::atomic<bool> cancelled_{false};
};

}  // namespace evstore::server

#endif  // EVSTORE_SERVER_READ_REACTOR_H_
