// The W1/W2/W3 workloads against the peers evstore is compared with (see
// bench/compare.sh and BENCHMARKS.md), driven by bench/load_driver.h so that
// they count and time exactly as evstore-bench does.
#ifndef EVSTORE_BENCH_PEERS_PEER_WORKLOADS_H_
#define EVSTORE_BENCH_PEERS_PEER_WORKLOADS_H_

#include <string>

#include "absl/status/statusor.h"
#include "bench/load_driver.h"
#include "bench/report.h"

namespace evstore::bench {

// What a peer run needs beyond RunConfig (whose workload, producers, batch,
// event_bytes, customers, streams, subscribers and rate it follows).
struct PeerOptions {
  std::string host = "127.0.0.1";
  int port = 0;
  // PostgreSQL: the role and database to connect as.
  std::string user = "postgres";
  std::string database = "postgres";
  // W3: threads that poll the subscribers' connections.
  int subscriber_threads = 2;
  // PostgreSQL W3: send the notification in the appending transaction
  // (atomic with it; PostgreSQL then serializes such commits, fsync
  // included, on its global notify lock), or in a transaction of its own
  // right after the commit, with synchronous_commit off for that transaction
  // (not atomic: a crash in between loses the notification, so readers would
  // also have to poll; the appends' commits group again).
  bool pg_notify_after_commit = false;
};

// Redis Streams. Every customer's feed is one stream key (XADD with an
// auto-generated id: Redis's own dense, ordered feed; the event's id, stream
// name, type and JSON data are the entry's fields). W1: one XADD per
// round trip. W2: a pipeline of `batch` XADDs to one customer's key, all
// replies awaited (not MULTI/EXEC: not atomic). W3: subscribers XREAD BLOCK
// their customer's key.
absl::StatusOr<RunResult> RunRedisWorkload(const RunConfig& config,
                                           const PeerOptions& peer,
                                           const DriverOptions& driver);

// PostgreSQL. One `events` table: position from a global sequence (primary
// key), unique (customer, stream, revision) and unique (id). Each append is
// one INSERT statement (its own transaction, committed with
// synchronous_commit) that takes the stream's next revisions from the
// (customer, stream, revision) index and retries on a revision conflict.
// W1: one row per statement. W2: `batch` rows of one stream per statement.
// W3: the statement also calls pg_notify(customer, data) (or a statement
// right after the commit does, see PeerOptions); subscribers LISTEN on their
// customer's channel.
absl::StatusOr<RunResult> RunPostgresWorkload(const RunConfig& config,
                                              const PeerOptions& peer,
                                              const DriverOptions& driver);

}  // namespace evstore::bench

#endif  // EVSTORE_BENCH_PEERS_PEER_WORKLOADS_H_
