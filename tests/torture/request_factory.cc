#include "tests/torture/request_factory.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace evstore::torture {

std::string CustomerName(int customer) {
  return absl::StrCat("torture-c", customer);
}

std::string StreamName(int stream) { return absl::StrCat("stream-", stream); }

void StreamRevisionHints::Note(int customer,
                               const v1::AppendResponse& response) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const v1::StreamAppendResult& result : response.streams()) {
    uint64_t& known = revisions_[{customer, result.stream()}];
    known = std::max(known, result.last_revision());
  }
}

uint64_t StreamRevisionHints::Get(int customer,
                                  const std::string& stream) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = revisions_.find(std::make_pair(customer, stream));
  return it == revisions_.end() ? 0 : it->second;
}

RequestFactory::RequestFactory(const WorkloadShape& shape,
                               const StreamRevisionHints* hints, uint64_t seed)
    : shape_(shape), hints_(hints), rng_(seed) {}

std::string RequestFactory::NewEventId() {
  // A random version-4 UUID; 122 random bits make a collision across a run
  // practically impossible.
  const uint64_t high = (rng_() & ~uint64_t{0xF000}) | 0x4000;
  const uint64_t low =
      (rng_() & ~(uint64_t{0xC} << 60)) | (uint64_t{0x8} << 60);
  return absl::StrFormat("%08x-%04x-%04x-%04x-%012x", high >> 32,
                         (high >> 16) & 0xFFFF, high & 0xFFFF, low >> 48,
                         low & 0xFFFFFFFFFFFFULL);
}

void RequestFactory::AddWrite(int customer, int stream, int events,
                              v1::AppendRequest* out) {
  v1::StreamWrite* write = out->add_writes();
  write->set_stream(StreamName(stream));
  std::uniform_int_distribution<int> percent(0, 99);
  if (percent(rng_) < shape_.expected_revision_percent) {
    write->set_expected_revision(hints_->Get(customer, write->stream()));
  }
  for (int i = 0; i < events; ++i) {
    v1::ProposedEvent* event = write->add_events();
    event->set_id(NewEventId());
    event->set_type("TortureEvent");
    event->set_data(absl::StrCat(R"({"serial":)", ++serial_, "}"));
  }
}

SentAppend RequestFactory::SingleEvent(AppendChannel channel, int cycle) {
  SentAppend sent;
  sent.channel = channel;
  sent.cycle = cycle;
  sent.customer =
      std::uniform_int_distribution<int>(0, shape_.customers - 1)(rng_);
  sent.request.set_customer(CustomerName(sent.customer));
  AddWrite(sent.customer,
           std::uniform_int_distribution<int>(0, shape_.streams - 1)(rng_), 1,
           &sent.request);
  return sent;
}

SentAppend RequestFactory::Batch(int cycle) {
  SentAppend sent;
  sent.channel = AppendChannel::kUnaryBatch;
  sent.cycle = cycle;
  sent.customer =
      std::uniform_int_distribution<int>(0, shape_.customers - 1)(rng_);
  sent.request.set_customer(CustomerName(sent.customer));
  const int events =
      std::uniform_int_distribution<int>(1, shape_.max_batch_events)(rng_);
  const int max_streams =
      std::min({shape_.max_batch_streams, shape_.streams, events});
  const int stream_count =
      std::uniform_int_distribution<int>(1, max_streams)(rng_);
  // Distinct streams (a stream may appear in one write only).
  std::vector<int> streams(static_cast<size_t>(shape_.streams));
  for (int i = 0; i < shape_.streams; ++i) streams[static_cast<size_t>(i)] = i;
  std::shuffle(streams.begin(), streams.end(), rng_);
  int left = events;
  for (int w = 0; w < stream_count; ++w) {
    const int writes_after = stream_count - w - 1;
    const int here = writes_after == 0 ? left
                                       : std::uniform_int_distribution<int>(
                                             1, left - writes_after)(rng_);
    AddWrite(sent.customer, streams[static_cast<size_t>(w)], here,
             &sent.request);
    left -= here;
  }
  return sent;
}

}  // namespace evstore::torture
