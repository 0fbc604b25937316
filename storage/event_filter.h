// EventFilter: which events of a feed a subscriber or reader wants.
#ifndef EVSTORE_STORAGE_EVENT_FILTER_H_
#define EVSTORE_STORAGE_EVENT_FILTER_H_

#include <string>
#include <string_view>
#include <vector>

#include "base/partition.h"

namespace evstore {

// Matches events by stream-name prefix, by type and by partition (see
// base/partition.h). An empty list, or the whole-feed partition, matches
// everything on that axis; all axes must match. Immutable after
// construction, so one filter may be used from many threads.
class EventFilter {
 public:
  EventFilter() = default;
  EventFilter(std::vector<std::string> stream_prefixes,
              std::vector<std::string> event_types, Partition partition = {})
      : stream_prefixes_(std::move(stream_prefixes)),
        event_types_(std::move(event_types)),
        partition_(partition) {}

  bool MatchesAll() const {
    return stream_prefixes_.empty() && event_types_.empty() &&
           partition_.IsWholeFeed();
  }

  bool Matches(std::string_view stream, std::string_view type) const {
    return MatchesStream(stream) && MatchesType(type) &&
           InPartition(stream, partition_);
  }

 private:
  bool MatchesStream(std::string_view stream) const {
    if (stream_prefixes_.empty()) return true;
    for (const std::string& prefix : stream_prefixes_) {
      if (stream.substr(0, prefix.size()) == prefix) return true;
    }
    return false;
  }
  bool MatchesType(std::string_view type) const {
    if (event_types_.empty()) return true;
    for (const std::string& t : event_types_) {
      if (type == t) return true;
    }
    return false;
  }

  std::vector<std::string> stream_prefixes_;
  std::vector<std::string> event_types_;
  Partition partition_;
};

}  // namespace evstore

#endif  // EVSTORE_STORAGE_EVENT_FILTER_H_
