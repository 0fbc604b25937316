// W5 growth (--workload=growth): does append throughput stay flat as the
// store grows?
//
// 1. W2 on the store as it is (empty, on a fresh server): config's producers
//    closed-loop unary Appends of `config.batch` events (RunClosedLoop),
//    customers round-robin, streams at random, warm-up then a measured
//    window.
// 2. Fill: BulkLoad appends, over the same customers and streams, what the
//    store lacks of `config.growth_events` events (counting what step 1
//    appended; the store is taken to have been empty before), then waits
//    `config.growth_settle_s` seconds (compactions). With
//    `config.server_data_dir`, the size of that directory is measured.
// 3. W2 again with the same knobs.
// The result's counts, latency and CPU are those of step 3; `growth` holds
// both runs and the ratio full / empty.
#ifndef EVSTORE_BENCH_GROWTH_WORKLOAD_H_
#define EVSTORE_BENCH_GROWTH_WORKLOAD_H_

#include "absl/status/statusor.h"
#include "bench/load_driver.h"
#include "bench/report.h"
#include "client/evstore_client.h"

namespace evstore::bench {

// Fails when the fill fails; failed appends of the W2 runs are errors in the
// result.
absl::StatusOr<RunResult> RunGrowthWorkload(const client::Client& client,
                                            const RunConfig& config,
                                            const DriverOptions& driver);

}  // namespace evstore::bench

#endif  // EVSTORE_BENCH_GROWTH_WORKLOAD_H_
