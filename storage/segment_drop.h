// SegmentDrop: everything retention removes with one feed segment,
// collected off the commit thread (storage/retention_enforcer.h) and applied
// by it as one write batch (AppendBatch::Kind::kDropSegment).
#ifndef EVSTORE_STORAGE_SEGMENT_DROP_H_
#define EVSTORE_STORAGE_SEGMENT_DROP_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "storage/types.h"

namespace evstore {

struct SegmentDrop {
  // The customer's internal key when the drop was planned: a customer
  // deleted and created again under the same name meanwhile has another
  // one, and the drop is refused.
  CustomerKey customer;
  uint64_t segment = 0;
  // The segment's positions: its events are range-deleted.
  FeedPosition first_position;
  FeedPosition last_position;
  // Events found in it.
  uint64_t events = 0;
  // ids-family keys of its events.
  std::vector<std::string> id_keys;
  // streams-family keys of the runs that lie entirely at or below
  // last_position.
  std::vector<std::string> run_keys;
  // Stream end markers (key, value) replacing the last run of a stream
  // whose every run is removed, so that it keeps its revision numbering.
  std::vector<std::pair<std::string, std::string>> markers;
};

}  // namespace evstore

#endif  // EVSTORE_STORAGE_SEGMENT_DROP_H_
