// EventFactory: the append requests the benchmark sends.
//
// Every event is a realistic JSON document (a NOMRES nomination confirmation)
// padded to exactly `event_bytes` bytes, with a fresh random (version 4) UUID
// as its id, so the server pays its real per-event costs: JSON validation and
// a random key in the id index. Customers are chosen round-robin per request
// and streams uniformly at random.
#ifndef EVSTORE_BENCH_EVENT_FACTORY_H_
#define EVSTORE_BENCH_EVENT_FACTORY_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "evstore/v1/evstore.pb.h"

namespace evstore::bench {

// A small, fast PRNG (xoshiro256**), one per producer: no shared state.
class Random {
 public:
  explicit Random(std::uint64_t seed);
  std::uint64_t Next();
  // Uniform in [0, bound); bound > 0.
  std::uint64_t Below(std::uint64_t bound);

 private:
  std::uint64_t s_[4];
};

// A valid JSON document of exactly `bytes` bytes (bytes >= 1): a NOMRES
// confirmation for `contract_number` with as many hourly values as fit,
// padded with a filler field or whitespace; for sizes too small for that
// object, a smaller object or a JSON number.
std::string MakeJsonPayload(std::size_t bytes, int contract_number);

// A random version-4 UUID in canonical lowercase text form.
std::string RandomUuid(Random& random);

// A time-ordered version-7 UUID (RFC 9562): 48 bits of Unix milliseconds,
// then random bits.
std::string TimeOrderedUuid(Random& random);

// How producers choose event ids.
enum class IdKind {
  kRandom,       // UUIDv4: what most producers send today.
  kTimeOrdered,  // UUIDv7: ids of recent events are close together.
};

struct WorkloadShape {
  std::size_t event_bytes = 256;
  int events_per_append = 1;
  int customers = 10;
  int streams = 1000;
  IdKind ids = IdKind::kRandom;
};

// Builds requests for one producer. Not thread-safe: one per producer.
class EventFactory {
 public:
  // `producer` staggers the round-robin start so that producers do not all
  // hit the same customer at once; `seed` seeds the producer's PRNG.
  EventFactory(const WorkloadShape& shape, int producer, std::uint64_t seed);

  // The next request: one stream write of `events_per_append` events.
  evstore::v1::AppendRequest Next();

  // The names used by the benchmark (exposed for tests and the report).
  static std::string CustomerName(int index);
  static std::string StreamName(int index);

 private:
  WorkloadShape shape_;
  Random random_;
  std::uint64_t request_counter_;
  std::vector<std::string> customers_;
  // A few payload variants (different contracts), all exactly event_bytes.
  std::vector<std::string> payloads_;
};

}  // namespace evstore::bench

#endif  // EVSTORE_BENCH_EVENT_FACTORY_H_
