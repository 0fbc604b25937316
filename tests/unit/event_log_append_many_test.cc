// EventLog::AppendMany: several independent appends handed over at once.
#include <catch2/catch.hpp>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "storage/event_log.h"
#include "tests/unit/test_support.h"

using namespace evstore;
using evstore::testing::MakeEvent;
using evstore::testing::OneStream;
using evstore::testing::ReadAll;
using evstore::testing::TempDir;
using evstore::testing::TestOptions;

namespace {

constexpr char kStream[] = "contract/DS000068/nominations";

// Collects the callback invocations of one AppendMany call.
class Outcomes {
 public:
  AppendManyCallback Callback() {
    return [this](std::vector<IndexedAppendResult> outcomes) {
      std::lock_guard<std::mutex> lock(mu_);
      calls_.push_back(std::move(outcomes));
      cv_.notify_all();
    };
  }

  // Waits until `count` outcomes have arrived; returns them by index and the
  // number of callback invocations.
  std::vector<absl::StatusOr<AppendResult>> Await(size_t count, size_t* calls) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return Count() >= count; });
    std::vector<absl::StatusOr<AppendResult>> by_index(
        count, absl::UnknownError("no outcome"));
    for (const auto& call : calls_) {
      for (const IndexedAppendResult& outcome : call) {
        REQUIRE(outcome.index < count);
        by_index[outcome.index] = outcome.result;
      }
    }
    REQUIRE(Count() == count);
    *calls = calls_.size();
    return by_index;
  }

 private:
  size_t Count() const {
    size_t n = 0;
    for (const auto& call : calls_) n += call.size();
    return n;
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::vector<IndexedAppendResult>> calls_;
};

}  // namespace

TEST_CASE(
    "AppendMany sequences each append on its own in vector order and reports "
    "a commit group in one call") {
  TempDir dir;
  auto log = EventLog::Open(TestOptions(dir.path()));
  REQUIRE(log.ok());

  std::vector<AppendBatch> batches;
  batches.push_back(
      OneStream("orsted-dk", kStream, 2, ExpectedRevision::NoStream()));
  batches.push_back(OneStream("orsted-dk", kStream, 1,
                              ExpectedRevision::Exact(StreamRevision(2))));
  // Stale by now: the one before made the stream's revision 3.
  batches.push_back(OneStream("orsted-dk", kStream, 1,
                              ExpectedRevision::Exact(StreamRevision(2))));
  AppendBatch retry = batches[0];
  batches.push_back(std::move(retry));  // A retry of the first.
  AppendBatch malformed = OneStream("orsted-dk", kStream, 1);
  malformed.writes[0].events.clear();
  batches.push_back(std::move(malformed));
  batches.push_back(OneStream("gasum", kStream, 1));

  Outcomes outcomes;
  (*log)->AppendMany(std::move(batches), outcomes.Callback());
  size_t calls = 0;
  const auto results = outcomes.Await(6, &calls);
  // Queued under one lock, so one commit group: one callback.
  CHECK(calls == 1);

  REQUIRE(results[0].ok());
  CHECK(results[0]->first_position == FeedPosition(1));
  CHECK(results[0]->last_position == FeedPosition(2));
  REQUIRE(results[1].ok());
  CHECK(results[1]->streams[0].first_revision == StreamRevision(3));
  CHECK(results[2].status().code() == absl::StatusCode::kFailedPrecondition);
  REQUIRE(results[3].ok());
  CHECK(results[3]->duplicate);
  CHECK(results[3]->first_position == FeedPosition(1));
  CHECK(results[4].status().code() == absl::StatusCode::kInvalidArgument);
  REQUIRE(results[5].ok());
  CHECK(results[5]->first_position == FeedPosition(1));

  CHECK(ReadAll(**log, "orsted-dk").size() == 3);
  CHECK(ReadAll(**log, "gasum").size() == 1);
}

TEST_CASE(
    "AppendMany queues what fits the queue budget and rejects the rest with "
    "RESOURCE_EXHAUSTED") {
  TempDir dir;
  EventLogOptions options = TestOptions(dir.path());
  options.max_queued_bytes = 64 << 10;
  auto log = EventLog::Open(options);
  REQUIRE(log.ok());

  // Each append carries 20 KiB: with an empty queue the first always fits,
  // and at most three fit into 64 KiB.
  std::vector<AppendBatch> batches;
  for (int i = 0; i < 8; ++i) {
    AppendBatch batch = OneStream("orsted-dk", kStream, 1);
    batch.writes[0].events[0] =
        MakeEvent("Blob", "\"" + std::string(20 << 10, 'x') + "\"");
    batches.push_back(std::move(batch));
  }
  Outcomes outcomes;
  (*log)->AppendMany(std::move(batches), outcomes.Callback());
  size_t calls = 0;
  const auto results = outcomes.Await(8, &calls);
  size_t accepted = 0;
  for (size_t i = 0; i < results.size(); ++i) {
    INFO("append " << i << ": " << results[i].status());
    if (i < 3) {
      REQUIRE(results[i].ok());
      ++accepted;
    } else {
      CHECK(results[i].status().code() == absl::StatusCode::kResourceExhausted);
    }
  }
  CHECK(ReadAll(**log, "orsted-dk").size() == accepted);
}
