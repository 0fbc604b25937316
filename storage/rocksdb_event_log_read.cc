// Reads of the RocksDB event log. Every read is capped at the customer's
// visible head, so nothing that is written but not yet durable is returned.
#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "storage/absl_string_view.h"
#include "storage/key_format.h"
#include "storage/record_codec.h"
#include "storage/rocksdb_event_log.h"

namespace evstore {
namespace {

// A filtered feed read examines at most this many events per call, so one
// call stays short however selective the filter is.
constexpr size_t kMaxScannedPerRead = 65536;
constexpr size_t kEventOverheadBytes = 64;

// A checksum mismatch in RocksDB's blocks is DATA_LOSS (permanent: the
// stored bytes are wrong); anything else may pass (UNAVAILABLE).
absl::Status ReadError(const rocksdb::Status& s, std::string_view what) {
  const std::string message = absl::StrCat(AsAbsl(what), ": ", s.ToString());
  if (s.IsCorruption()) return absl::DataLossError(message);
  return absl::UnavailableError(message);
}

absl::Status Gap(std::string_view customer, FeedPosition missing) {
  return absl::DataLossError(absl::StrCat("the feed of ", AsAbsl(customer),
                                          " is missing position ",
                                          missing.value()));
}

size_t Cost(const RecordedEvent& event) {
  return event.data.size() + kEventOverheadBytes;
}

}  // namespace

absl::StatusOr<FeedReadResult> RocksEventLog::ReadFeed(
    std::string_view customer, FeedPosition from, ReadDirection direction,
    const ReadLimits& limits, const EventFilter& filter) {
  FeedReadResult result;
  const bool forwards = direction == ReadDirection::kForwards;
  const std::optional<CustomerKey> key = directory_.Find(customer);
  const FeedPosition head = key ? Head(customer) : FeedPosition(0);
  FeedPosition start;
  if (forwards) {
    start = std::max(from, FeedPosition(1));
    result.last_scanned = start.Prev();
  } else {
    start = (from.value() == 0 || from > head) ? head : from;
    result.last_scanned = start.Next();
  }
  if (!key || start.value() == 0 || start > head) {
    result.end = true;
    return result;
  }

  const std::string lower = keys::EventKey(*key, FeedPosition(1));
  const std::string upper = keys::EventKey(*key, head.Next());
  rocksdb::Slice lower_slice(lower);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions read_options;
  read_options.iterate_lower_bound = &lower_slice;
  read_options.iterate_upper_bound = &upper_slice;
  // No fixed readahead_size: RocksDB's automatic readahead grows from 8 KiB
  // to 256 KiB while one iterator keeps reading sequentially. A fixed 2 MiB
  // was paid again by every iterator, i.e. by every subscription batch
  // (<= 512 KiB of data): in W4 catch-up 21.5% of the server's CPU samples
  // were the kernel copying those reads from the page cache. Without it, W4
  // went from 139,000-278,000 to 395,000-416,000 events/s (2.2-2.4 -> 1.4-1.6
  // us of server CPU per event; same data, busy machine).
  std::unique_ptr<rocksdb::Iterator> it(
      rocks_.db->NewIterator(read_options, rocks_.events));

  const std::string start_key = keys::EventKey(*key, start);
  if (forwards) {
    it->Seek(start_key);
  } else {
    it->SeekForPrev(start_key);
  }
  FeedPosition expected = start;
  size_t bytes = 0;
  size_t scanned = 0;
  while (it->Valid() && result.events.size() < limits.max_events &&
         bytes < limits.max_bytes && scanned < kMaxScannedPerRead) {
    std::optional<keys::EventKeyParts> parts =
        keys::ParseEventKey(it->key().ToStringView());
    if (!parts || parts->customer != *key) {
      return absl::DataLossError("malformed key in the events family");
    }
    // Holes are removed events (DeleteStream) or dropped segments
    // (retention): positions are never reused, the read passes over them.
    if (forwards ? parts->position < expected : parts->position > expected) {
      return Gap(customer, expected);
    }
    expected = parts->position;
    absl::StatusOr<codec::EventView> view =
        codec::DecodeEvent(*key, expected, it->value().ToStringView());
    if (!view.ok()) return view.status();
    if (filter.Matches(view->stream, view->type)) {
      result.events.push_back(codec::ToRecordedEvent(*view, customer, expected,
                                                     limits.include_data));
      bytes += Cost(result.events.back());
    }
    result.last_scanned = expected;
    ++scanned;
    expected = forwards ? expected.Next() : expected.Prev();
    if (forwards) {
      it->Next();
    } else {
      it->Prev();
    }
  }
  if (!it->status().ok()) return ReadError(it->status(), "reading the feed");
  const FeedPosition boundary = forwards ? head : FeedPosition(1);
  if (!it->Valid() && result.events.size() < limits.max_events &&
      bytes < limits.max_bytes && scanned < kMaxScannedPerRead) {
    // Nothing more up to the boundary: what remains are holes.
    result.last_scanned = boundary;
  }
  result.end = result.last_scanned == boundary;
  return result;
}

absl::Status RocksEventLog::ReadPositions(
    CustomerKey key, std::string_view customer,
    const std::vector<FeedPosition>& positions, bool include_data,
    size_t max_bytes, std::vector<std::optional<RecordedEvent>>* out) {
  out->assign(positions.size(), std::nullopt);
  if (positions.empty()) return absl::OkStatus();
  std::vector<std::string> event_keys;
  event_keys.reserve(positions.size());
  for (FeedPosition p : positions) event_keys.push_back(keys::EventKey(key, p));
  std::vector<rocksdb::Slice> slices(event_keys.begin(), event_keys.end());
  std::vector<rocksdb::PinnableSlice> values(slices.size());
  std::vector<rocksdb::Status> statuses(slices.size());
  rocks_.db->MultiGet(rocksdb::ReadOptions(), rocks_.events, slices.size(),
                      slices.data(), values.data(), statuses.data());
  size_t bytes = 0;
  for (size_t i = 0; i < positions.size(); ++i) {
    if (statuses[i].IsNotFound()) continue;
    if (!statuses[i].ok()) return ReadError(statuses[i], "reading events");
    bytes += include_data ? values[i].size() : kEventOverheadBytes;
    if (bytes > max_bytes) {
      return absl::ResourceExhaustedError(
          absl::StrCat("the requested events hold more than ", max_bytes,
                       " bytes; ask for fewer at a time or without data"));
    }
    absl::StatusOr<codec::EventView> view =
        codec::DecodeEvent(key, positions[i], values[i].ToStringView());
    if (!view.ok()) return view.status();
    (*out)[i] =
        codec::ToRecordedEvent(*view, customer, positions[i], include_data);
  }
  return absl::OkStatus();
}

absl::StatusOr<StreamReadResult> RocksEventLog::ReadStream(
    std::string_view customer, std::string_view stream, StreamRevision from,
    ReadDirection direction, const ReadLimits& limits) {
  StreamReadResult result;
  const bool forwards = direction == ReadDirection::kForwards;
  const StreamRevision start =
      forwards ? std::max(from, StreamRevision(1))
               : (from.value() == 0 ? StreamRevision(UINT64_MAX) : from);
  result.last_revision = forwards ? start.Prev() : start.Next();
  const std::optional<CustomerKey> key = directory_.Find(customer);
  if (!key) {
    result.end = true;
    return result;
  }
  const FeedPosition head = Head(customer);
  const std::string prefix = keys::StreamRunPrefix(*key, stream);
  std::string upper = prefix;
  upper.back() = '\x01';  // the byte after the 0x00 terminator
  rocksdb::Slice lower_slice(prefix);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions read_options;
  read_options.iterate_lower_bound = &lower_slice;
  read_options.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(
      rocks_.db->NewIterator(read_options, rocks_.streams));

  const auto parse_run = [&]() -> std::optional<keys::StreamRun> {
    std::optional<StreamRevision> first = keys::ParseStreamRunKeyRevision(
        it->key().ToStringView(), prefix.size());
    if (!first) return std::nullopt;
    return keys::ParseStreamRunValue(*first, it->value().ToStringView());
  };
  // An end marker stands for removed events (retention, DeleteStream): the
  // read passes over it.
  const auto is_marker = [&] {
    return keys::ParseStreamEndMarker(it->value().ToStringView()).has_value();
  };
  // Events below it were dropped by retention (their runs may remain when
  // they straddle a segment boundary).
  const FeedPosition floor = retention_->FirstRetained(*key);

  // Revisions to return and their positions, in read order.
  std::vector<StreamRevision> revisions;
  std::vector<FeedPosition> positions;
  bool exhausted = true;
  it->SeekForPrev(keys::StreamRunKey(*key, stream, start));
  if (forwards) {
    // Start in the run holding `start`, or the first run after it.
    bool start_in_run = false;
    if (it->Valid() && !is_marker()) {
      std::optional<keys::StreamRun> run = parse_run();
      if (!run) return absl::DataLossError("malformed stream index entry");
      start_in_run = run->last_revision() >= start;
    }
    if (!start_in_run) it->Seek(keys::StreamRunKey(*key, stream, start));
    for (; it->Valid(); it->Next()) {
      if (is_marker()) continue;
      std::optional<keys::StreamRun> run = parse_run();
      if (!run) return absl::DataLossError("malformed stream index entry");
      StreamRevision r = std::max(start, run->first_revision);
      for (; r <= run->last_revision(); r = r.Next()) {
        if (revisions.size() >= limits.max_events) break;
        const FeedPosition p = run->PositionOf(r);
        if (p > head) break;  // written but not yet durable
        if (p < floor) continue;
        revisions.push_back(r);
        positions.push_back(p);
      }
      if (r <= run->last_revision()) {
        exhausted = false;
        if (run->PositionOf(r) > head) exhausted = true;  // nothing visible
        break;
      }
    }
  } else {
    for (; it->Valid(); it->Prev()) {
      if (is_marker()) continue;
      std::optional<keys::StreamRun> run = parse_run();
      if (!run) return absl::DataLossError("malformed stream index entry");
      StreamRevision r = std::min(start, run->last_revision());
      bool stopped = false;
      for (;; r = r.Prev()) {
        const FeedPosition p = run->PositionOf(r);
        if (p <= head && p >= floor) {
          if (revisions.size() >= limits.max_events) {
            stopped = true;
            break;
          }
          revisions.push_back(r);
          positions.push_back(p);
        }
        if (r == run->first_revision) break;
      }
      if (stopped) {
        exhausted = false;
        break;
      }
    }
  }
  if (!it->status().ok()) {
    return ReadError(it->status(), "reading the stream index");
  }

  std::vector<std::optional<RecordedEvent>> events;
  if (absl::Status s =
          ReadPositions(*key, customer, positions, limits.include_data,
                        std::numeric_limits<size_t>::max(), &events);
      !s.ok()) {
    return s;
  }
  size_t bytes = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    // Removed since the index was read (a concurrent drop or DeleteStream).
    if (!events[i]) continue;
    if (bytes >= limits.max_bytes) {
      exhausted = false;
      break;
    }
    bytes += Cost(*events[i]);
    result.last_revision = revisions[i];
    result.events.push_back(std::move(*events[i]));
  }
  result.end = exhausted;
  return result;
}

absl::StatusOr<LookupResult> RocksEventLog::Lookup(
    std::string_view customer, const std::vector<EventId>& ids,
    const std::vector<FeedPosition>& positions, bool include_data) {
  LookupResult result;
  const std::optional<CustomerKey> key = directory_.Find(customer);
  if (!key) {
    result.missing_ids = ids;
    result.missing_positions = positions;
    return result;
  }
  const FeedPosition head = Head(customer);

  // Ids to positions, through the id index.
  std::vector<std::optional<FeedPosition>> id_positions(ids.size());
  if (!ids.empty()) {
    std::vector<std::string> id_keys;
    id_keys.reserve(ids.size());
    for (const EventId& id : ids) id_keys.push_back(keys::IdKey(*key, id));
    std::vector<rocksdb::Slice> slices(id_keys.begin(), id_keys.end());
    std::vector<rocksdb::PinnableSlice> values(slices.size());
    std::vector<rocksdb::Status> statuses(slices.size());
    rocks_.db->MultiGet(rocksdb::ReadOptions(), rocks_.ids, slices.size(),
                        slices.data(), values.data(), statuses.data());
    for (size_t i = 0; i < ids.size(); ++i) {
      if (statuses[i].IsNotFound()) continue;
      if (!statuses[i].ok()) return ReadError(statuses[i], "reading ids");
      std::optional<FeedPosition> p =
          keys::ParsePosition(values[i].ToStringView());
      if (!p) return absl::DataLossError("malformed id index entry");
      if (*p <= head) id_positions[i] = *p;  // durable ones only
    }
  }

  std::vector<FeedPosition> wanted;
  std::vector<size_t> slot;  // index into ids, then ids.size() + positions
  for (size_t i = 0; i < ids.size(); ++i) {
    if (id_positions[i]) {
      wanted.push_back(*id_positions[i]);
      slot.push_back(i);
    }
  }
  for (size_t i = 0; i < positions.size(); ++i) {
    if (positions[i].value() > 0 && positions[i] <= head) {
      wanted.push_back(positions[i]);
      slot.push_back(ids.size() + i);
    }
  }
  std::vector<std::optional<RecordedEvent>> found;
  if (absl::Status s = ReadPositions(*key, customer, wanted, include_data,
                                     kMaxLookupBytes, &found);
      !s.ok()) {
    return s;
  }
  std::vector<bool> present(ids.size() + positions.size(), false);
  for (size_t k = 0; k < wanted.size(); ++k) {
    if (!found[k]) continue;
    present[slot[k]] = true;
    result.events.push_back(std::move(*found[k]));
  }
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!present[i]) result.missing_ids.push_back(ids[i]);
  }
  for (size_t i = 0; i < positions.size(); ++i) {
    if (!present[ids.size() + i])
      result.missing_positions.push_back(positions[i]);
  }
  return result;
}

}  // namespace evstore
