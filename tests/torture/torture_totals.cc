#include "tests/torture/torture_totals.h"

#include "absl/strings/str_format.h"

namespace evstore::torture {

void TortureTotals::Add(const VerifyCounts& counts) {
  events_verified += counts.events_verified;
  get_events_checked += counts.get_events_checked;
  retries_checked += counts.retries_checked;
  unknown_applied += counts.unknown_applied;
  unknown_retried_fresh += counts.unknown_retried_fresh;
  unknown_conflicts += counts.unknown_conflicts;
  lost += counts.lost;
  duplicated += counts.duplicated;
}

std::string TortureTotals::SummaryLine() const {
  return absl::StrFormat(
      "torture: seed=%d cycles=%d appends_acked=%d events_acked=%d "
      "conflicts=%d twins_acked=%d events_verified=%d get_events_checked=%d "
      "retries_checked=%d unknown_outcome=%d unknown_applied=%d "
      "unknown_retried_fresh=%d unknown_conflicts=%d subscriber_events=%d "
      "subscriber_reconnects=%d "
      "feed_events=%d lost=%d duplicated=%d violations=%d elapsed=%.1fs",
      seed, cycles, appends_acked, events_acked, conflicts, twins_acked,
      events_verified, get_events_checked, retries_checked, unknown_outcome,
      unknown_applied, unknown_retried_fresh, unknown_conflicts,
      subscriber_events, subscriber_reconnects, feed_events, lost, duplicated,
      violations, elapsed_seconds);
}

std::string TortureTotals::Json() const {
  return absl::StrFormat(
      R"({"seed":%d,"cycles":%d,"appends_acked":%d,"events_acked":%d,)"
      R"("conflicts":%d,"twins_acked":%d,"events_verified":%d,"get_events_checked":%d,)"
      R"("retries_checked":%d,"unknown_outcome":%d,"unknown_applied":%d,)"
      R"("unknown_retried_fresh":%d,"unknown_conflicts":%d,)"
      R"("subscriber_events":%d,"subscriber_reconnects":%d,"feed_events":%d,"lost":%d,"duplicated":%d,)"
      R"("violations":%d,"elapsed_seconds":%.1f})",
      seed, cycles, appends_acked, events_acked, conflicts, twins_acked,
      events_verified, get_events_checked, retries_checked, unknown_outcome,
      unknown_applied, unknown_retried_fresh, unknown_conflicts,
      subscriber_events, subscriber_reconnects, feed_events, lost, duplicated,
      violations, elapsed_seconds);
}

}  // namespace evstore::torture
