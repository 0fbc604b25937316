#include "server/read_reactor.h"

#include <algorithm>
#include <utility>

#include "server/proto_conversion.h"
#include "server/status_mapping.h"
#include "spdlog/spdlog.h"

namespace evstore::server {
namespace {

constexpr uint64_t kPageEvents = 256;
constexpr size_t kPageBytes = size_t{1} << 20;

// Where a page read leaves off.
struct Page {
  std::vector<RecordedEvent> events;
  uint64_t last = 0;  // The last position examined / revision returned.
  bool end = false;
};

}  // namespace

ReadReactor::ReadReactor(EventLog* log, WorkerPool* pool, ReadParams params)
    : log_(log),
      pool_(pool),
      params_(std::move(params)),
      cursor_(params_.from),
      remaining_(params_.max_count) {
  QueueRead();
}

void ReadReactor::QueueRead() {
  if (!pool_->Schedule([this] { ReadPage(); })) {
    Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "server shutting down"));
  }
}

void ReadReactor::ReadPage() {
  if (cancelled_.load(std::memory_order_relaxed)) {
    Finish(grpc::Status::CANCELLED);
    return;
  }
  const ReadLimits limits{
      .max_events = static_cast<size_t>(std::min(remaining_, kPageEvents)),
      .max_bytes = kPageBytes,
      .include_data = params_.include_data};
  Page page;
  if (params_.stream.empty()) {
    absl::StatusOr<FeedReadResult> result =
        log_->ReadFeed(params_.customer, FeedPosition(cursor_),
                       params_.direction, limits, EventFilter());
    if (!result.ok()) {
      spdlog::warn("read of the feed of {} failed: {}", params_.customer,
                   result.status().ToString());
      Finish(ToGrpcStatus(result.status()));
      return;
    }
    page = {std::move(result->events), result->last_scanned.value(),
            result->end};
  } else {
    absl::StatusOr<StreamReadResult> result =
        log_->ReadStream(params_.customer, params_.stream,
                         StreamRevision(cursor_), params_.direction, limits);
    if (!result.ok()) {
      spdlog::warn("read of stream {} of {} failed: {}", params_.stream,
                   params_.customer, result.status().ToString());
      Finish(ToGrpcStatus(result.status()));
      return;
    }
    page = {std::move(result->events), result->last_revision.value(),
            result->end};
  }

  if (page.events.empty()) {
    // Without a filter an empty page means the range has ended.
    Finish(grpc::Status::OK);
    return;
  }
  remaining_ -= std::min<uint64_t>(remaining_, page.events.size());
  const bool forwards = params_.direction == ReadDirection::kForwards;
  // Backwards, position/revision 1 is the last one; 0 would mean "the end".
  const bool exhausted =
      page.end || remaining_ == 0 || (!forwards && page.last <= 1);
  more_ = !exhausted;
  cursor_ = forwards ? page.last + 1 : page.last - 1;

  response_.Clear();
  response_.mutable_events()->Reserve(static_cast<int>(page.events.size()));
  for (RecordedEvent& event : page.events) {
    ToProto(std::move(event), response_.add_events());
  }
  StartWrite(&response_);
}

void ReadReactor::OnWriteDone(bool ok) {
  if (!ok || cancelled_.load(std::memory_order_relaxed)) {
    Finish(grpc::Status::CANCELLED);
  } else if (!more_) {
    Finish(grpc::Status::OK);
  } else {
    QueueRead();
  }
}

void ReadReactor::OnCancel() {
  cancelled_.store(true, std::memory_order_relaxed);
}

void ReadReactor::OnDone() { delete this; }

}  // namespace evstore::server
