// W3 against evstored: the end-to-end latency workload of evstore-bench
// (--workload=latency). Producers send single-event appends at a fixed total
// rate (bench/load_driver.h, RunFixedRate), each event's data stamped with
// its send time; live subscribers (Client::Subscribe from the end of their
// customer's feed, spread round-robin over the customers, one thread each)
// record every event they receive. Each subscriber has a connection of its
// own, as the peers' subscribers do; the producers share `client`'s.
#ifndef EVSTORE_BENCH_EVSTORE_LATENCY_WORKLOAD_H_
#define EVSTORE_BENCH_EVSTORE_LATENCY_WORKLOAD_H_

#include "absl/status/statusor.h"
#include "bench/load_driver.h"
#include "bench/report.h"
#include "client/evstore_client.h"

namespace evstore::bench {

// Follows config's producers, transport (session: the producers share
// `sessions` AppendSessions, each waiting for its append's future; unary:
// blocking Append calls), event_bytes, customers, streams, subscribers and
// rate. Fails only when the subscribers cannot start (none caught up within
// 60 s); failed appends and missing deliveries are errors in the result.
absl::StatusOr<RunResult> RunEvstoreLatencyWorkload(
    const client::Client& client, const RunConfig& config,
    const DriverOptions& driver);

}  // namespace evstore::bench

#endif  // EVSTORE_BENCH_EVSTORE_LATENCY_WORKLOAD_H_
