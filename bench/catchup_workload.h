// W4 catch-up (--workload=catchup): one subscriber reads a long feed from
// its start.
//
// Preload: the feed of one customer (EventFactory::CustomerName(0)) must
// hold `config.preload_events` events of `config.event_bytes` bytes spread
// over `config.streams` streams. Whatever its head falls short of is appended
// first with BulkLoad (`config.load_producers` x `config.load_batch`); a feed
// that already holds that many is read as it is (so a big preload can be
// reused by later runs against the same server).
//
// Read: one Client::Subscribe from the start of that feed (origin
// BEGINNING), pulled with Subscription::Next on this thread until every
// preloaded event has arrived, each checked (FeedChecker: positions 1, 2,
// ... N without gap or duplicate, in order). The result's window runs from
// the Subscribe call to the receipt of event N; its events and bytes are
// those events and their payload bytes, CPU is measured over the window.
// Latency fields stay empty. After the window the workload waits for the
// caught_up message and reports when it came.
#ifndef EVSTORE_BENCH_CATCHUP_WORKLOAD_H_
#define EVSTORE_BENCH_CATCHUP_WORKLOAD_H_

#include "absl/status/statusor.h"
#include "bench/report.h"
#include "client/evstore_client.h"

namespace evstore::bench {

// Fails when the preload fails or the head cannot be read; a read that ends
// early or out of order is an error in the result.
absl::StatusOr<RunResult> RunCatchupWorkload(const client::Client& client,
                                             const RunConfig& config,
                                             int server_pid);

}  // namespace evstore::bench

#endif  // EVSTORE_BENCH_CATCHUP_WORKLOAD_H_
