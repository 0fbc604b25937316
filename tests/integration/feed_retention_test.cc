// Retention end to end (docs/retention.md): SetCustomerRetention drops whole
// old segments in the background (small segments and a short enforcement
// interval through evstored's test flags) while a subscriber is live; reads
// and subscriptions below the floor are OUT_OF_RANGE naming the first
// available position; start_at_oldest_retained; the data directory shrinks;
// restart and kill -9 keep the floor. No timing assertions: waits are
// generous polls.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/evstored_process.h"
#include "tests/integration/metrics_scrape.h"
#include "tests/integration/retention_support.h"
#include "tests/integration/test_events.h"

namespace evstore::testing {
namespace {

constexpr char kCustomer[] = "orsted-dk";
constexpr int kSegmentEvents = 20;
constexpr size_t kBlobBytes = 16 << 10;

EvstoredProcessOptions SmallSegments() {
  EvstoredProcessOptions options;
  options.extra_flags = {"--segment_events=" + std::to_string(kSegmentEvents),
                         "--retention_interval_ms=200",
                         "--heartbeat_interval_ms=200"};
  return options;
}

// A subscription from the beginning, read on its own thread: every position
// it delivers, in order.
class LiveSubscriber {
 public:
  explicit LiveSubscriber(RetentionCalls& calls) {
    calls.Prepare(context_);
    // Longer than any wait of the tests below.
    context_.set_deadline(std::chrono::system_clock::now() +
                          std::chrono::minutes(10));
    v1::SubscribeRequest request;
    request.set_customer(kCustomer);
    request.set_include_data(false);
    reader_ = calls.events().Subscribe(&context_, request);
    thread_ = std::thread([this] {
      v1::SubscribeResponse response;
      while (reader_->Read(&response)) {
        std::lock_guard<std::mutex> lock(mu_);
        for (const v1::RecordedEvent& event : response.events().events()) {
          positions_.push_back(event.position());
        }
      }
      status_ = reader_->Finish();
      done_ = true;
    });
  }
  ~LiveSubscriber() { Stop(); }

  // Waits (generously) until position `position` was delivered.
  bool AwaitPosition(uint64_t position) {
    for (int i = 0; i < 600 && !done_; ++i) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (!positions_.empty() && positions_.back() >= position) return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    std::lock_guard<std::mutex> lock(mu_);
    return !positions_.empty() && positions_.back() >= position;
  }

  void Stop() {
    if (!thread_.joinable()) return;
    context_.TryCancel();
    thread_.join();
  }

  std::vector<uint64_t> positions() {
    std::lock_guard<std::mutex> lock(mu_);
    return positions_;
  }
  bool done() const { return done_; }
  const grpc::Status& status() const { return status_; }

 private:
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<v1::SubscribeResponse>> reader_;
  std::thread thread_;
  std::mutex mu_;
  std::vector<uint64_t> positions_;
  std::atomic<bool> done_{false};
  grpc::Status status_;
};

// 1..n, the positions a complete subscriber sees.
std::vector<uint64_t> OneTo(uint64_t n) {
  std::vector<uint64_t> all;
  for (uint64_t p = 1; p <= n; ++p) all.push_back(p);
  return all;
}

}  // namespace

TEST_CASE("retention by size drops old segments while a subscriber is live") {
  EvstoredProcess server(SmallSegments());
  RetentionCalls calls(server);
  // 200 events of 16 KiB: 10 segments, about 3.2 MB.
  for (int i = 0; i < 20; ++i) {
    calls.AppendBlobs(kCustomer, "contract/" + std::to_string(i % 3), 1,
                      i * 10 + 1, 10, kBlobBytes);
  }
  LiveSubscriber subscriber(calls);
  REQUIRE(subscriber.AwaitPosition(200));
  const uint64_t disk_before = DirectoryBytes(server.data_dir());

  // Keep about three segments' worth of data (the envelopes make it a bit
  // less): the oldest segments go, the head's stays.
  const uint64_t max_bytes = uint64_t{3} * kSegmentEvents * kBlobBytes;
  const v1::Customer set = calls.SetRetention(kCustomer, 0, max_bytes);
  CHECK(set.retention().max_bytes() == max_bytes);
  const uint64_t floor = calls.AwaitFirstRetained(kCustomer, 141);
  INFO("first retained position " << floor);
  REQUIRE(floor >= 141);
  REQUIRE(floor <= 181);  // never the head's segment
  CHECK((floor - 1) % kSegmentEvents == 0);
  // The round compacts the dropped ranges after dropping them.
  uint64_t disk_dropped = DirectoryBytes(server.data_dir());
  for (int i = 0; i < 600 && disk_dropped + (1 << 20) >= disk_before; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    disk_dropped = DirectoryBytes(server.data_dir());
  }
  WARN("data directory: " << disk_before << " bytes before retention, "
                          << disk_dropped << " after (first retained " << floor
                          << ")");
  CHECK(disk_dropped + (1 << 20) < disk_before);

  // Appends go on and the live subscriber gets everything, once, in order.
  for (int i = 20; i < 25; ++i) {
    calls.AppendBlobs(kCustomer, "contract/x", 1, i * 10 + 1, 10, kBlobBytes);
  }
  REQUIRE(subscriber.AwaitPosition(250));
  subscriber.Stop();
  CHECK(subscriber.positions() == OneTo(250));

  // Keep everything from now on: once SetCustomerRetention returns, nothing
  // more is dropped, so the floor stays put while the reads below check it
  // (the appends above pushed the customer over max_bytes again, and rounds
  // run every 200 ms).
  calls.SetRetention(kCustomer, 0, 0);

  // Below the floor: OUT_OF_RANGE naming the first available position.
  FloorOutcome read = calls.ReadFeed(kCustomer, 1, 10);
  CHECK(read.status.error_code() == grpc::StatusCode::OUT_OF_RANGE);
  CHECK(read.first_available ==
        calls.GetCustomer(kCustomer).first_retained_position());
  CHECK_THAT(read.status.error_message(),
             Catch::Matchers::Contains(std::to_string(read.first_available)));
  const uint64_t first = read.first_available;
  // From 0: the first retained event; at the floor: fine.
  std::vector<v1::RecordedEvent> events;
  REQUIRE(calls.ReadFeed(kCustomer, 0, 1, &events).status.ok());
  REQUIRE(events.size() == 1);
  CHECK(events[0].position() == first);
  REQUIRE(calls.ReadFeed(kCustomer, first, 1).status.ok());

  v1::SubscribeRequest below;
  below.set_customer(kCustomer);
  below.set_after_position(1);
  v1::SubscribeResponse response;
  FloorOutcome subscribed = calls.SubscribeFirst(below, &response);
  CHECK(subscribed.status.error_code() == grpc::StatusCode::OUT_OF_RANGE);
  CHECK(subscribed.first_available == first);
  below.set_start_at_oldest_retained(true);
  subscribed = calls.SubscribeFirst(below, &response);
  REQUIRE(subscribed.status.ok());
  REQUIRE(response.events().events_size() > 0);
  CHECK(response.events().events(0).position() == first);

  // GetEvents of a dropped position or id: missing.
  {
    v1::GetEventsRequest request;
    request.set_customer(kCustomer);
    request.add_positions(1);
    request.add_ids(TestUuid(1, 1));
    grpc::ClientContext context;
    calls.Prepare(context);
    v1::GetEventsResponse got;
    REQUIRE(calls.events().GetEvents(&context, request, &got).ok());
    CHECK(got.events_size() == 0);
    CHECK(got.missing_positions_size() == 1);
    CHECK(got.missing_ids_size() == 1);
  }

  // The floor and the numbering survive a restart and a kill -9.
  server.Restart();
  RetentionCalls after_restart(server);
  CHECK(after_restart.GetCustomer(kCustomer).first_retained_position() ==
        first);
  CHECK(after_restart.ReadFeed(kCustomer, 1, 1).status.error_code() ==
        grpc::StatusCode::OUT_OF_RANGE);
  server.Kill();
  server.Start();
  RetentionCalls after_kill(server);
  CHECK(after_kill.GetCustomer(kCustomer).first_retained_position() >= first);
  const v1::AppendResponse appended =
      after_kill.AppendBlobs(kCustomer, "contract/x", 2, 1, 1, 10);
  CHECK(appended.first_position() == 251);
}

TEST_CASE("retention by age drops segments older than max_age") {
  EvstoredProcess server(SmallSegments());
  RetentionCalls calls(server);
  for (int i = 0; i < 5; ++i) {
    calls.AppendBlobs(kCustomer, "contract/1", 1, i * 10 + 1, 10, 100);
  }
  // 50 events: segments 0, 1 and the head's (2). An hour keeps everything.
  calls.SetRetention(kCustomer, 3600, 0);
  std::this_thread::sleep_for(std::chrono::seconds(1));
  CHECK(calls.GetCustomer(kCustomer).first_retained_position() == 1);

  LiveSubscriber subscriber(calls);
  REQUIRE(subscriber.AwaitPosition(50));
  calls.SetRetention(kCustomer, 1, 0);
  const uint64_t floor = calls.AwaitFirstRetained(kCustomer, 41);
  CHECK(floor == 41);
  {
    REQUIRE(server.metrics_port() > 0);
    absl::StatusOr<std::string> text =
        HttpGet(server.metrics_port(), "/metrics");
    REQUIRE(text.ok());
    const std::map<std::string, double> samples = ParseSamples(*text);
    const std::string label = std::string("{customer=\"") + kCustomer + "\"}";
    CHECK(SampleValue(samples, "evstore_retention_dropped_segments_total" +
                                   label) == 2.0);
    CHECK(SampleValue(samples, "evstore_retention_dropped_events_total" +
                                   label) == 40.0);
  }
  CHECK(calls.GetCustomer(kCustomer).retention().max_age_seconds() == 1);
  std::vector<v1::RecordedEvent> events;
  REQUIRE(calls.ReadFeed(kCustomer, 0, 100, &events).status.ok());
  REQUIRE(events.size() == 10);  // the head's segment is kept, however old
  CHECK(events.front().position() == 41);

  calls.AppendBlobs(kCustomer, "contract/1", 1, 51, 5, 100);
  REQUIRE(subscriber.AwaitPosition(55));
  subscriber.Stop();
  CHECK(subscriber.positions() == OneTo(55));
  // The stream keeps its revisions: the next one follows the last.
  const v1::AppendResponse next =
      calls.AppendBlobs(kCustomer, "contract/1", 3, 1, 1, 100);
  CHECK(next.streams(0).first_revision() == 56);
}

TEST_CASE(
    "subscribing below the floor is OUT_OF_RANGE but the beginning is not") {
  EvstoredProcess server(SmallSegments());
  RetentionCalls calls(server);
  for (int i = 0; i < 10; ++i) {
    calls.AppendBlobs(kCustomer, "contract/1", 1, i * 10 + 1, 10, 100);
  }
  calls.SetRetention(kCustomer, 0, 1);
  const uint64_t floor = calls.AwaitFirstRetained(kCustomer, 81);
  REQUIRE(floor == 81);
  v1::SubscribeRequest from_start;
  from_start.set_customer(kCustomer);
  v1::SubscribeResponse response;
  // "From the beginning" is from the oldest retained event.
  REQUIRE(calls.SubscribeFirst(from_start, &response).status.ok());
  REQUIRE(response.events().events_size() > 0);
  CHECK(response.events().events(0).position() == 81);
  from_start.set_after_position(80);  // exactly at the floor: fine
  REQUIRE(calls.SubscribeFirst(from_start, &response).status.ok());
  from_start.set_after_position(79);
  FloorOutcome below = calls.SubscribeFirst(from_start, &response);
  CHECK(below.status.error_code() == grpc::StatusCode::OUT_OF_RANGE);
  CHECK(below.first_available == 81);
}

TEST_CASE("kill -9 while retention drops loses nothing it must keep") {
  EvstoredProcessOptions options = SmallSegments();
  options.extra_flags.emplace_back("--retention_interval_ms=20");
  EvstoredProcess server(options);
  uint64_t acked = 0;
  uint32_t series = 1;
  {
    RetentionCalls calls(server);
    calls.AppendBlobs(kCustomer, "contract/1", series, 1, 1, 100);
    calls.SetRetention(kCustomer, 0, uint64_t{30} * 1000);
  }
  for (int round = 0; round < 4; ++round) {
    RetentionCalls calls(server);
    // Appends race the retention thread's drops and compactions; the kill
    // lands wherever they are.
    for (int i = 0; i < 20; ++i) {
      acked = calls.AppendBlobs(kCustomer, "contract/1", ++series, 1, 5, 1000)
                  .last_position();
    }
    server.Kill();
    server.Start();
    RetentionCalls restarted(server);
    const v1::Customer customer = restarted.GetCustomer(kCustomer);
    INFO("round " << round << ": head " << customer.head_position()
                  << ", first retained " << customer.first_retained_position()
                  << ", acked " << acked);
    // Every acknowledged event is there or was dropped as a whole segment
    // below the head's; the retained feed is dense from the floor to the
    // head.
    CHECK(customer.head_position() >= acked);
    const uint64_t floor = customer.first_retained_position();
    CHECK((floor - 1) % kSegmentEvents == 0);
    CHECK(floor <= customer.head_position());
    std::vector<v1::RecordedEvent> events;
    REQUIRE(restarted.ReadFeed(kCustomer, 0, 10'000, &events).status.ok());
    // The retention thread keeps dropping meanwhile: the read starts
    // somewhere between the floors seen before and after it.
    const uint64_t floor_after =
        restarted.GetCustomer(kCustomer).first_retained_position();
    REQUIRE_FALSE(events.empty());
    CHECK(events.front().position() >= floor);
    CHECK(events.front().position() <= floor_after);
    CHECK((events.front().position() - 1) % kSegmentEvents == 0);
    CHECK(events.back().position() == customer.head_position());
    for (size_t i = 1; i < events.size(); ++i) {
      CHECK(events[i].position() == events[i - 1].position() + 1);
    }
    // The policy survives too.
    CHECK(customer.retention().max_bytes() == uint64_t{30} * 1000);
  }
}

TEST_CASE("a subscriber that falls below the floor while catching up ends") {
  EvstoredProcess server(SmallSegments());
  RetentionCalls calls(server);
  // 30 segments of 20 events of 16 KiB (9.8 MB): far more than gRPC buffers
  // for a subscriber that does not read.
  for (int i = 0; i < 60; ++i) {
    calls.AppendBlobs(kCustomer, "contract/1", 1, i * 10 + 1, 10, kBlobBytes);
  }
  grpc::ClientContext context;
  calls.Prepare(context);
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::minutes(10));
  v1::SubscribeRequest request;
  request.set_customer(kCustomer);
  auto reader = calls.events().Subscribe(&context, request);
  v1::SubscribeResponse response;
  REQUIRE(reader->Read(&response));
  std::vector<uint64_t> positions;
  for (const v1::RecordedEvent& event : response.events().events()) {
    positions.push_back(event.position());
  }
  // It stalls; retention drops everything but the head's segment.
  calls.SetRetention(kCustomer, 0, 1);
  REQUIRE(calls.AwaitFirstRetained(kCustomer, 581) == 581);
  // It must end; should it skip to the retained events instead, stop there.
  bool skipped = false;
  while (!skipped && reader->Read(&response)) {
    for (const v1::RecordedEvent& event : response.events().events()) {
      positions.push_back(event.position());
      skipped = skipped || event.position() >= 581;
    }
  }
  if (skipped) {
    context.TryCancel();
    while (reader->Read(&response)) {
    }
  }
  const grpc::Status status = reader->Finish();
  INFO(status.error_message() << "; " << positions.size() << " delivered");
  CHECK(status.error_code() == grpc::StatusCode::OUT_OF_RANGE);
  CHECK(FirstAvailableTrailer(context) == 581);
  // What it got before the end is gap-free from the start.
  REQUIRE_FALSE(positions.empty());
  CHECK(positions.size() < 580);
  for (size_t i = 0; i < positions.size(); ++i) {
    CHECK(positions[i] == i + 1);
  }
}
}  // namespace evstore::testing
