// Random append requests for the torture producers: fresh random UUIDs as
// event ids, streams drawn from a fixed set per customer, and sometimes an
// expected revision taken from the last acknowledged one (concurrent
// producers make some of those stale, which is how conflicts arise).
#ifndef EVSTORE_TESTS_TORTURE_REQUEST_FACTORY_H_
#define EVSTORE_TESTS_TORTURE_REQUEST_FACTORY_H_

#include <cstdint>
#include <mutex>
#include <random>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "tests/torture/sent_append.h"

namespace evstore::torture {

struct WorkloadShape {
  int customers = 3;
  int streams = 50;  // per customer
  int expected_revision_percent = 20;
  int max_batch_events = 100;
  int max_batch_streams = 5;
};

// "torture-c<index>" and "stream-<index>".
std::string CustomerName(int customer);
std::string StreamName(int stream);

// The highest acknowledged revision of each stream, as far as the producers
// know. Thread-safe.
class StreamRevisionHints {
 public:
  void Note(int customer, const v1::AppendResponse& response);
  // 0 when nothing is known (the stream may still have events).
  uint64_t Get(int customer, const std::string& stream) const;

 private:
  mutable std::mutex mu_;
  // guarded by mu_
  absl::flat_hash_map<std::pair<int, std::string>, uint64_t> revisions_;
};

// Not thread-safe: one per producer.
class RequestFactory {
 public:
  RequestFactory(const WorkloadShape& shape, const StreamRevisionHints* hints,
                 uint64_t seed);

  SentAppend SingleEvent(AppendChannel channel, int cycle);
  // 1..max_batch_events events over 1..max_batch_streams distinct streams.
  SentAppend Batch(int cycle);

  std::mt19937_64& rng() { return rng_; }

 private:
  std::string NewEventId();
  void AddWrite(int customer, int stream, int events, v1::AppendRequest* out);

  const WorkloadShape shape_;
  const StreamRevisionHints* const hints_;
  std::mt19937_64 rng_;
  uint64_t serial_ = 0;
};

}  // namespace evstore::torture

#endif  // EVSTORE_TESTS_TORTURE_REQUEST_FACTORY_H_
