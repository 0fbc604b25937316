// RunCallbackLoop: the closed loop of RunClosedLoop (load_driver.h) without
// a thread per producer, the way evstore-bench's --session_api=callback
// drives AppendSession: each producer sends its next request from the reply
// callback of the previous one, on whatever thread runs that callback (a
// gRPC thread). Warm-up, window, counts, latency and CPU readings are those
// of RunClosedLoop; a producer stops at its first failure.
#ifndef EVSTORE_BENCH_CALLBACK_LOOP_H_
#define EVSTORE_BENCH_CALLBACK_LOOP_H_

#include <functional>

#include "absl/status/statusor.h"
#include "bench/load_driver.h"
#include "bench/report.h"

namespace evstore::bench {

// Receives the outcome of one send, exactly once, on any thread; it sends
// the producer's next request before it returns, so it must be called
// outside the sender's locks.
using SendDone = std::function<void(absl::StatusOr<AppendOutcome>)>;

// Sends one request for `producer` and calls `done` with its outcome. Called
// for a producer only once its previous send completed, from the thread
// that ran that send's `done` (the first time: the caller's thread).
using CallbackSend = std::function<void(int producer, SendDone done)>;

// Runs `options.producers` producers (see the file comment), then waits up
// to 60 s for the replies still in flight. A producer still waiting then
// counts as one error; its `done` may still run later (harmlessly), so the
// caller must end its calls, making every `done` run, before destroying what
// `send` uses.
RunResult RunCallbackLoop(const DriverOptions& options,
                          const CallbackSend& send);

}  // namespace evstore::bench

#endif  // EVSTORE_BENCH_CALLBACK_LOOP_H_
