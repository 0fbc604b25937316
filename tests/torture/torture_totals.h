// The run's running totals and the summary line (and JSON) printed at the
// end of evstore-torture.
#ifndef EVSTORE_TESTS_TORTURE_TORTURE_TOTALS_H_
#define EVSTORE_TESTS_TORTURE_TORTURE_TOTALS_H_

#include <cstdint>
#include <string>

#include "tests/torture/feed_verifier.h"

namespace evstore::torture {

struct TortureTotals {
  uint64_t seed = 0;
  int cycles = 0;  // kill -9 cycles completed (and verified)
  uint64_t appends_acked = 0;
  uint64_t events_acked = 0;
  uint64_t conflicts = 0;    // FAILED_PRECONDITION answers while producing
  uint64_t twins_acked = 0;  // appends sent twice at once, both acknowledged
  uint64_t unknown_outcome = 0;
  uint64_t unknown_applied = 0;
  uint64_t unknown_retried_fresh = 0;
  uint64_t unknown_conflicts = 0;
  uint64_t events_verified = 0;  // acknowledged events found, summed per check
  uint64_t get_events_checked = 0;
  uint64_t retries_checked = 0;
  uint64_t subscriber_events = 0;
  uint64_t subscriber_reconnects = 0;
  uint64_t feed_events = 0;  // the customers' feed heads at the last check
  uint64_t lost = 0;
  uint64_t duplicated = 0;
  uint64_t violations = 0;
  double elapsed_seconds = 0;

  void Add(const VerifyCounts& counts);
  // One line: "torture: cycles=20 appends_acked=... lost=0 duplicated=0 ...".
  std::string SummaryLine() const;
  std::string Json() const;
};

}  // namespace evstore::torture

#endif  // EVSTORE_TESTS_TORTURE_TORTURE_TOTALS_H_
