// W6 many subscribers (--workload=idle_subscribers): W3 while
// `config.idle_subscriptions` more subscriptions are connected but receive
// no events; what they cost the server in memory (VmRSS) and in delivery
// latency to the live subscribers.
//
// The idle subscriptions (client::Subscription: one gRPC ClientReadReactor
// each, no thread) are spread round-robin over `config.idle_connections`
// channels with connections of their own (bench/own_connection.h), since
// the server allows --max_concurrent_streams (10,000) streams per
// connection. Two kinds (`config.idle_kind`):
//   quiet     each on a customer of its own ("idle-00000", ...) that nobody
//             appends to: many connected consumers of quiet feeds. A
//             Subscribe to a customer that has never been appended to is
//             valid; it waits for the customer's first event.
//   filtered  on the feeds the producers append to, with an event type
//             filter that matches nothing: every append wakes them.
// They start from the end of their feed and send only caught_up and
// heartbeats (every 5 s, the server's default). One thread drains them all,
// every 200 ms, counting heartbeats, events (errors: there should be none)
// and subscriptions that end (errors).
//
// Once all idle subscriptions have caught up, W3 runs as in
// evstore_latency_workload.h; the server's VmRSS is sampled every 100 ms
// from before the idle subscriptions open to the end of W3.
#ifndef EVSTORE_BENCH_IDLE_SUBSCRIBERS_WORKLOAD_H_
#define EVSTORE_BENCH_IDLE_SUBSCRIBERS_WORKLOAD_H_

#include "absl/status/statusor.h"
#include "bench/load_driver.h"
#include "bench/report.h"
#include "client/evstore_client.h"

namespace evstore::bench {

// Fails when the idle subscriptions do not all catch up within 120 s or W3's
// subscribers cannot start; other failures are errors in the result. Needs
// driver.server_pid for the memory figures (they stay 0 without it).
absl::StatusOr<RunResult> RunIdleSubscribersWorkload(
    const client::Client& client, const RunConfig& config,
    const DriverOptions& driver);

}  // namespace evstore::bench

#endif  // EVSTORE_BENCH_IDLE_SUBSCRIBERS_WORKLOAD_H_
