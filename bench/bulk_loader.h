// BulkLoad: fills evstored with a given number of events as fast as the
// server takes them, before a workload that needs a big store (W4 catch-up
// preloads one customer's feed, W5 growth fills the store). Several producer
// threads send big unary Appends (EventFactory requests: JSON events of the
// shape's size, customers round-robin, streams at random) and wait for each
// acknowledgement before sending the next. Prints its progress to stderr
// every 10 s, so that a long fill shows it is alive.
#ifndef EVSTORE_BENCH_BULK_LOADER_H_
#define EVSTORE_BENCH_BULK_LOADER_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "bench/event_factory.h"
#include "bench/report.h"
#include "client/evstore_client.h"

namespace evstore::bench {

struct BulkLoadOptions {
  // What to append: `shape.events_per_append` events per request (the last
  // request carries the remainder).
  WorkloadShape shape;
  std::uint64_t events = 0;  // How many events to append in total.
  int producers = 8;         // Concurrent appends.
  // Printed with the progress lines ("bulk load <label>: ...").
  const char* label = "";
};

struct BulkLoadResult {
  std::uint64_t events = 0;  // Appended (== options.events on success).
  double seconds = 0;        // Wall time of the whole load.
  double EventsPerSecond() const {
    return seconds > 0 ? static_cast<double>(events) / seconds : 0;
  }
};

// The events of `config`'s workload (event size, streams, id kind) over its
// first `customers` customers, `events_per_append` to a request.
WorkloadShape ShapeOf(const RunConfig& config, int events_per_append,
                      int customers);

// A bulk load of `events` such events over `customers` customers with
// config's load_producers x load_batch.
BulkLoadOptions BulkLoadFor(const RunConfig& config, int customers,
                            std::uint64_t events, const char* label);

// Appends exactly `options.events` events through `client` and returns when
// all are acknowledged, or the first failed append's error (producers stop
// sending at the first failure; appends then in flight are awaited).
absl::StatusOr<BulkLoadResult> BulkLoad(const client::Client& client,
                                        const BulkLoadOptions& options);

}  // namespace evstore::bench

#endif  // EVSTORE_BENCH_BULK_LOADER_H_
