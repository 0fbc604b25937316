// Behaviour of the RocksDB event log through its public contract.
#include "storage/event_log.h"

#include <rocksdb/db.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <future>
#include <memory>
#include <thread>

#include "storage/key_format.h"
#include "tests/unit/test_support.h"

using namespace evstore;
using evstore::testing::AppendSync;
using evstore::testing::MakeEvent;
using evstore::testing::OneStream;
using evstore::testing::ReadAll;
using evstore::testing::TempDir;
using evstore::testing::TestOptions;

namespace {

std::unique_ptr<EventLog> OpenLog(const TempDir& dir) {
  auto log = EventLog::Open(TestOptions(dir.path()));
  REQUIRE(log.ok());
  return std::move(*log);
}

bool Contains(absl::string_view text, std::string_view part) {
  return std::string_view(text.data(), text.size()).find(part) !=
         std::string_view::npos;
}

AppendBatch TwoStreams(const std::string& customer, ExpectedRevision first,
                       ExpectedRevision second) {
  AppendBatch batch;
  batch.customer = customer;
  StreamWrite a{
      "contract/DS000068/nominations", first, {MakeEvent(), MakeEvent()}};
  StreamWrite b{"contract/DS000068/forecast", second, {MakeEvent()}};
  batch.writes.push_back(std::move(a));
  batch.writes.push_back(std::move(b));
  return batch;
}

}  // namespace

TEST_CASE("appends get dense feed positions and per-stream revisions") {
  TempDir dir;
  auto log = OpenLog(dir);
  auto r1 = AppendSync(*log, TwoStreams("orsted-dk", ExpectedRevision::Any(),
                                        ExpectedRevision::Any()));
  REQUIRE(r1.ok());
  REQUIRE(r1->first_position == FeedPosition(1));
  REQUIRE(r1->last_position == FeedPosition(3));
  REQUIRE_FALSE(r1->duplicate);
  REQUIRE(r1->streams.size() == 2);
  REQUIRE(r1->streams[0].first_revision == StreamRevision(1));
  REQUIRE(r1->streams[0].last_revision == StreamRevision(2));
  REQUIRE(r1->streams[1].first_revision == StreamRevision(1));
  REQUIRE(r1->streams[1].last_revision == StreamRevision(1));

  auto r2 = AppendSync(
      *log, TwoStreams("orsted-dk", ExpectedRevision::Exact(StreamRevision(2)),
                       ExpectedRevision::StreamExists()));
  REQUIRE(r2.ok());
  REQUIRE(r2->first_position == FeedPosition(4));
  REQUIRE(r2->last_position == FeedPosition(6));
  REQUIRE(r2->streams[0].first_revision == StreamRevision(3));
  REQUIRE(r2->streams[1].last_revision == StreamRevision(2));
  REQUIRE(r2->recorded_at_micros >= r1->recorded_at_micros);

  auto events = ReadAll(*log, "orsted-dk");
  REQUIRE(events.size() == 6);
  for (size_t i = 0; i < events.size(); ++i) {
    REQUIRE(events[i].position == FeedPosition(i + 1));
    REQUIRE(events[i].customer == "orsted-dk");
  }
  REQUIRE(events[3].stream == "contract/DS000068/nominations");
  REQUIRE(events[3].revision == StreamRevision(3));
  REQUIRE(log->Head("orsted-dk") == FeedPosition(6));
}

TEST_CASE("an append with one failing expected revision writes nothing") {
  TempDir dir;
  auto log = OpenLog(dir);
  REQUIRE(AppendSync(*log, TwoStreams("gasum", ExpectedRevision::Any(),
                                      ExpectedRevision::Any()))
              .ok());
  auto r = AppendSync(
      *log, TwoStreams("gasum", ExpectedRevision::Exact(StreamRevision(2)),
                       ExpectedRevision::NoStream()));
  REQUIRE(r.status().code() == absl::StatusCode::kFailedPrecondition);
  REQUIRE(Contains(r.status().message(), "contract/DS000068/forecast"));
  REQUIRE(Contains(r.status().message(), "revision 1"));
  REQUIRE(ReadAll(*log, "gasum").size() == 3);
  REQUIRE(log->Head("gasum") == FeedPosition(3));
  // The next append continues without a gap.
  auto next =
      AppendSync(*log, OneStream("gasum", "contract/DS000068/forecast", 1));
  REQUIRE(next.ok());
  REQUIRE(next->first_position == FeedPosition(4));
  REQUIRE(next->streams[0].first_revision == StreamRevision(2));
}

TEST_CASE("every kind of expected revision is enforced with a clear message") {
  TempDir dir;
  auto log = OpenLog(dir);
  const std::string s = "contract/DS000068/nominations";
  auto exists = AppendSync(
      *log, OneStream("gasum", s, 1, ExpectedRevision::StreamExists()));
  REQUIRE(exists.status().code() == absl::StatusCode::kFailedPrecondition);
  REQUIRE(Contains(exists.status().message(), "revision 0"));
  REQUIRE(
      AppendSync(*log, OneStream("gasum", s, 1,
                                 ExpectedRevision::Exact(StreamRevision(0))))
          .ok());
  auto none =
      AppendSync(*log, OneStream("gasum", s, 1, ExpectedRevision::NoStream()));
  REQUIRE(none.status().code() == absl::StatusCode::kFailedPrecondition);
  REQUIRE(Contains(none.status().message(), s));
  auto exact = AppendSync(
      *log,
      OneStream("gasum", s, 1, ExpectedRevision::Exact(StreamRevision(5))));
  REQUIRE(exact.status().code() == absl::StatusCode::kFailedPrecondition);
  REQUIRE(Contains(exact.status().message(), "expected revision 5"));
  REQUIRE(Contains(exact.status().message(), "actual revision is 1"));
  REQUIRE(
      AppendSync(*log, OneStream("gasum", s, 1,
                                 ExpectedRevision::Exact(StreamRevision(1))))
          .ok());
  REQUIRE(AppendSync(*log,
                     OneStream("gasum", s, 1, ExpectedRevision::StreamExists()))
              .ok());
  REQUIRE(log->Head("gasum") == FeedPosition(3));
}

TEST_CASE("a retried append returns the original result and writes nothing") {
  TempDir dir;
  AppendBatch batch = TwoStreams("orsted-dk", ExpectedRevision::NoStream(),
                                 ExpectedRevision::NoStream());
  AppendResult original;
  {
    auto log = OpenLog(dir);
    REQUIRE(AppendSync(*log, OneStream("orsted-dk", "other", 2)).ok());
    auto r = AppendSync(*log, batch);
    REQUIRE(r.ok());
    original = *r;
    // The expected revisions no longer hold, yet the retry is a duplicate.
    auto again = AppendSync(*log, batch);
    REQUIRE(again.ok());
    REQUIRE(again->duplicate);
    REQUIRE(again->first_position == original.first_position);
    REQUIRE(again->last_position == original.last_position);
    REQUIRE(again->streams[0].last_revision ==
            original.streams[0].last_revision);
    REQUIRE(log->Head("orsted-dk") == FeedPosition(5));
  }
  auto log = OpenLog(dir);  // and after a restart
  auto again = AppendSync(*log, batch);
  REQUIRE(again.ok());
  REQUIRE(again->duplicate);
  REQUIRE(again->first_position == FeedPosition(3));
  REQUIRE(again->streams[1].first_revision == StreamRevision(1));
  REQUIRE(again->recorded_at_micros == original.recorded_at_micros);
  REQUIRE(log->Head("orsted-dk") == FeedPosition(5));
}

TEST_CASE("retries that do not match the recorded append are rejected") {
  TempDir dir;
  auto log = OpenLog(dir);
  AppendBatch batch = OneStream("gasum", "s1", 3);
  REQUIRE(AppendSync(*log, batch).ok());

  SECTION("some ids recorded, some new") {
    AppendBatch mixed = batch;
    mixed.writes[0].events[1].id = testing::RandomId();
    auto r = AppendSync(*log, mixed);
    REQUIRE(r.status().code() == absl::StatusCode::kAlreadyExists);
    REQUIRE(Contains(r.status().message(), "event #0"));
    REQUIRE(Contains(r.status().message(), "event #1 is new"));
  }
  SECTION("all ids recorded but only part of the original append") {
    AppendBatch subset = batch;
    subset.writes[0].events.pop_back();
    REQUIRE(AppendSync(*log, subset).status().code() ==
            absl::StatusCode::kAlreadyExists);
  }
  SECTION("all ids recorded but in another stream") {
    AppendBatch moved = batch;
    moved.writes[0].stream = "s2";
    REQUIRE(AppendSync(*log, moved).status().code() ==
            absl::StatusCode::kAlreadyExists);
  }
  SECTION("all ids recorded but in another order") {
    AppendBatch reordered = batch;
    std::swap(reordered.writes[0].events[0], reordered.writes[0].events[2]);
    REQUIRE(AppendSync(*log, reordered).status().code() ==
            absl::StatusCode::kAlreadyExists);
  }
  REQUIRE(log->Head("gasum") == FeedPosition(3));
}

TEST_CASE("malformed batches are rejected before anything is written") {
  TempDir dir;
  auto log = OpenLog(dir);
  AppendBatch dup_ids = OneStream("gasum", "s", 2);
  dup_ids.writes[0].events[1].id = dup_ids.writes[0].events[0].id;
  REQUIRE(AppendSync(*log, dup_ids).status().code() ==
          absl::StatusCode::kInvalidArgument);
  AppendBatch dup_stream = OneStream("gasum", "s", 1);
  dup_stream.writes.push_back(OneStream("gasum", "s", 1).writes[0]);
  REQUIRE(AppendSync(*log, dup_stream).status().code() ==
          absl::StatusCode::kInvalidArgument);
  AppendBatch empty_write = OneStream("gasum", "s", 0);
  REQUIRE(AppendSync(*log, empty_write).status().code() ==
          absl::StatusCode::kInvalidArgument);
  AppendBatch no_writes;
  no_writes.customer = "gasum";
  REQUIRE(AppendSync(*log, no_writes).status().code() ==
          absl::StatusCode::kInvalidArgument);
  REQUIRE(AppendSync(*log, OneStream("Bad Name", "s", 1)).status().code() ==
          absl::StatusCode::kInvalidArgument);
  REQUIRE(log->Head("gasum") == FeedPosition(0));
}

TEST_CASE("customers have separate feeds, streams and ids") {
  TempDir dir;
  auto log = OpenLog(dir);
  AppendBatch a = OneStream("orsted-dk", "contract/1", 2);
  AppendBatch b = a;  // same stream name, same event ids, other customer
  b.customer = "gasum";
  REQUIRE(AppendSync(*log, a).ok());
  auto rb = AppendSync(*log, b);
  REQUIRE(rb.ok());
  REQUIRE_FALSE(rb->duplicate);
  REQUIRE(rb->first_position == FeedPosition(1));
  REQUIRE(rb->streams[0].first_revision == StreamRevision(1));
  auto lookup = log->Lookup("gasum", {a.writes[0].events[0].id},
                            {FeedPosition(1), FeedPosition(3)}, true);
  REQUIRE(lookup.ok());
  REQUIRE(lookup->events.size() == 2);
  REQUIRE(lookup->events[0].customer == "gasum");
  REQUIRE(lookup->missing_positions ==
          std::vector<FeedPosition>{FeedPosition(3)});
  REQUIRE(ReadAll(*log, "nobody").empty());
  REQUIRE(log->Head("nobody") == FeedPosition(0));
}

TEST_CASE("feed reads go forwards and backwards, filtered and bounded") {
  TempDir dir;
  auto log = OpenLog(dir);
  for (int i = 0; i < 10; ++i) {
    AppendBatch batch = OneStream("gasum", i % 2 ? "odd/s" : "even/s", 1);
    batch.writes[0].events[0].type = i % 3 ? "ForecastImported" : "TradeBooked";
    REQUIRE(AppendSync(*log, batch).ok());
  }
  ReadLimits limits;
  limits.max_events = 3;
  auto fwd = log->ReadFeed("gasum", FeedPosition(4), ReadDirection::kForwards,
                           limits, EventFilter());
  REQUIRE(fwd.ok());
  REQUIRE(fwd->events.size() == 3);
  REQUIRE(fwd->events[0].position == FeedPosition(4));
  REQUIRE(fwd->last_scanned == FeedPosition(6));
  REQUIRE_FALSE(fwd->end);

  auto back = log->ReadFeed("gasum", FeedPosition(0), ReadDirection::kBackwards,
                            limits, EventFilter());
  REQUIRE(back.ok());
  REQUIRE(back->events[0].position == FeedPosition(10));
  REQUIRE(back->events[2].position == FeedPosition(8));

  limits.max_events = 100;
  auto past_end =
      log->ReadFeed("gasum", FeedPosition(50), ReadDirection::kForwards, limits,
                    EventFilter());
  REQUIRE(past_end.ok());
  REQUIRE(past_end->events.empty());
  REQUIRE(past_end->end);

  EventFilter odd_trades({"odd/"}, {"TradeBooked"});
  auto filtered = log->ReadFeed("gasum", FeedPosition(1),
                                ReadDirection::kForwards, limits, odd_trades);
  REQUIRE(filtered.ok());
  // i = 3, 9 are odd and divisible by 3: positions 4 and 10.
  REQUIRE(filtered->events.size() == 2);
  REQUIRE(filtered->events[0].position == FeedPosition(4));
  REQUIRE(filtered->events[1].position == FeedPosition(10));
  REQUIRE(filtered->last_scanned == FeedPosition(10));
  REQUIRE(filtered->end);

  limits.include_data = false;
  auto no_data = log->ReadFeed("gasum", FeedPosition(1),
                               ReadDirection::kForwards, limits, EventFilter());
  REQUIRE(no_data.ok());
  REQUIRE(no_data->events[0].data.empty());
  REQUIRE_FALSE(no_data->events[0].type.empty());
}

TEST_CASE("stream reads follow revisions across many appends") {
  TempDir dir;
  auto log = OpenLog(dir);
  for (int i = 0; i < 5; ++i) {
    REQUIRE(AppendSync(*log, OneStream("gasum", "a", 3)).ok());
    REQUIRE(AppendSync(*log, OneStream("gasum", "b", 1)).ok());
  }
  ReadLimits limits;
  limits.max_events = 4;
  auto r = log->ReadStream("gasum", "a", StreamRevision(2),
                           ReadDirection::kForwards, limits);
  REQUIRE(r.ok());
  REQUIRE(r->events.size() == 4);
  REQUIRE(r->events[0].revision == StreamRevision(2));
  REQUIRE(r->events[3].revision == StreamRevision(5));
  REQUIRE(r->events[3].position == FeedPosition(6));  // 1-3, b=4, 5-7
  REQUIRE(r->last_revision == StreamRevision(5));
  REQUIRE_FALSE(r->end);

  limits.max_events = 100;
  auto all = log->ReadStream("gasum", "a", StreamRevision(0),
                             ReadDirection::kForwards, limits);
  REQUIRE(all.ok());
  REQUIRE(all->events.size() == 15);
  REQUIRE(all->end);
  for (size_t i = 0; i < 15; ++i) {
    REQUIRE(all->events[i].revision == StreamRevision(i + 1));
  }

  auto back = log->ReadStream("gasum", "b", StreamRevision(0),
                              ReadDirection::kBackwards, limits);
  REQUIRE(back.ok());
  REQUIRE(back->events.size() == 5);
  REQUIRE(back->events[0].revision == StreamRevision(5));
  REQUIRE(back->events[4].revision == StreamRevision(1));
  REQUIRE(back->end);

  auto from_middle = log->ReadStream("gasum", "a", StreamRevision(8),
                                     ReadDirection::kBackwards, limits);
  REQUIRE(from_middle.ok());
  REQUIRE(from_middle->events.size() == 8);
  REQUIRE(from_middle->events[0].revision == StreamRevision(8));

  auto none = log->ReadStream("gasum", "a/", StreamRevision(1),
                              ReadDirection::kForwards, limits);
  REQUIRE(none.ok());
  REQUIRE(none->events.empty());
  REQUIRE(none->end);
  auto past = log->ReadStream("gasum", "a", StreamRevision(16),
                              ReadDirection::kForwards, limits);
  REQUIRE(past.ok());
  REQUIRE(past->events.empty());
}

TEST_CASE("lookups report what is missing") {
  TempDir dir;
  auto log = OpenLog(dir);
  AppendBatch batch = OneStream("gasum", "s", 2);
  const EventId known = batch.writes[0].events[1].id;
  REQUIRE(AppendSync(*log, batch).ok());
  const EventId unknown = testing::RandomId();
  auto r =
      log->Lookup("gasum", {unknown, known},
                  {FeedPosition(0), FeedPosition(1), FeedPosition(9)}, false);
  REQUIRE(r.ok());
  REQUIRE(r->events.size() == 2);
  REQUIRE(r->events[0].id == known);
  REQUIRE(r->events[0].position == FeedPosition(2));
  REQUIRE(r->events[0].data.empty());
  REQUIRE(r->events[1].position == FeedPosition(1));
  REQUIRE(r->missing_ids == std::vector<EventId>{unknown});
  REQUIRE(r->missing_positions ==
          std::vector<FeedPosition>{FeedPosition(0), FeedPosition(9)});
}

TEST_CASE("reopening recovers heads, stream revisions and customers") {
  TempDir dir;
  {
    auto log = OpenLog(dir);
    REQUIRE(AppendSync(*log, OneStream("orsted-dk", "a", 4)).ok());
    REQUIRE(AppendSync(*log, OneStream("gasum", "a", 1)).ok());
    REQUIRE(AppendSync(*log, OneStream("orsted-dk", "b", 2)).ok());
  }
  auto log = OpenLog(dir);
  REQUIRE(log->Head("orsted-dk") == FeedPosition(6));
  REQUIRE(log->Head("gasum") == FeedPosition(1));
  REQUIRE(log->Tail("orsted-dk")->head() == FeedPosition(6));
  auto r =
      AppendSync(*log, OneStream("orsted-dk", "a", 1,
                                 ExpectedRevision::Exact(StreamRevision(4))));
  REQUIRE(r.ok());
  REQUIRE(r->first_position == FeedPosition(7));
  REQUIRE(r->streams[0].first_revision == StreamRevision(5));
  auto c = AppendSync(*log, OneStream("new-customer", "a", 1));
  REQUIRE(c.ok());
  REQUIRE(c->first_position == FeedPosition(1));
  REQUIRE(ReadAll(*log, "gasum").size() == 1);
}

TEST_CASE("a data directory in use by another log is refused clearly") {
  TempDir dir;
  auto log = OpenLog(dir);
  auto second = EventLog::Open(TestOptions(dir.path()));
  REQUIRE(second.status().code() == absl::StatusCode::kFailedPrecondition);
  REQUIRE(Contains(second.status().message(), "in use by another process"));
}

TEST_CASE("an incompatible format version is refused") {
  TempDir dir;
  { OpenLog(dir); }
  {
    testing::RawDatabase raw(dir.path() + "/data", /*read_only=*/false);
    REQUIRE(raw.db()
                .Put(rocksdb::WriteOptions(), raw.family(keys::kMetaFamily),
                     keys::kFormatKey, "99")
                .ok());
  }
  auto log = EventLog::Open(TestOptions(dir.path()));
  REQUIRE(log.status().code() == absl::StatusCode::kFailedPrecondition);
  REQUIRE(Contains(log.status().message(), "format version 99"));
}

TEST_CASE("a corrupted stored event is reported, not served") {
  TempDir dir;
  {
    auto log = OpenLog(dir);
    REQUIRE(AppendSync(*log, OneStream("gasum", "s", 3)).ok());
  }
  {
    testing::RawDatabase raw(dir.path() + "/data", /*read_only=*/false);
    rocksdb::ColumnFamilyHandle* events = raw.family(keys::kEventsFamily);
    std::string value;
    const std::string key = keys::EventKey(CustomerKey(1), FeedPosition(2));
    REQUIRE(raw.db().Get(rocksdb::ReadOptions(), events, key, &value).ok());
    value[value.size() - 2] ^= 0x01;  // one bit of the payload
    REQUIRE(raw.db().Put(rocksdb::WriteOptions(), events, key, value).ok());
  }
  auto log = OpenLog(dir);
  auto read = log->ReadFeed("gasum", FeedPosition(1), ReadDirection::kForwards,
                            ReadLimits{}, EventFilter());
  REQUIRE(read.status().code() == absl::StatusCode::kDataLoss);
  auto lookup = log->Lookup("gasum", {}, {FeedPosition(2)}, true);
  REQUIRE(lookup.status().code() == absl::StatusCode::kDataLoss);
}

TEST_CASE(
    "concurrent producers get unique dense positions and the tail sees "
    "every event once, in order") {
  TempDir dir;
  auto log = OpenLog(dir);
  auto tail = log->Tail("orsted-dk");
  constexpr int kThreads = 8;
  constexpr int kAppends = 200;
  std::vector<std::thread> producers;
  producers.reserve(kThreads);
  std::vector<std::vector<AppendResult>> results(kThreads);
  // Catch2 assertions are not thread-safe: producers record failures and the
  // test thread checks them.
  std::vector<absl::Status> failures(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    producers.emplace_back([&, t] {
      for (int i = 0; i < kAppends; ++i) {
        auto r = AppendSync(
            *log,
            OneStream("orsted-dk", "contract/" + std::to_string(t), 1 + i % 3));
        if (!r.ok()) {
          failures[t] = r.status();
          return;
        }
        results[t].push_back(*r);
      }
    });
  }
  for (auto& p : producers) p.join();
  for (const absl::Status& failure : failures) REQUIRE(failure.ok());
  std::vector<bool> seen(log->Head("orsted-dk").value() + 1, false);
  uint64_t total = 0;
  for (int t = 0; t < kThreads; ++t) {
    StreamRevision last;
    for (const AppendResult& r : results[t]) {
      REQUIRE(r.streams[0].first_revision == last.Next());
      last = r.streams[0].last_revision;
      for (auto p = r.first_position; p <= r.last_position; p = p.Next()) {
        REQUIRE_FALSE(seen[p.value()]);
        seen[p.value()] = true;
        ++total;
      }
    }
  }
  REQUIRE(total == log->Head("orsted-dk").value());
  std::vector<std::shared_ptr<const RecordedEvent>> out;
  // The default ring holds 8192 events, more than were written.
  REQUIRE(tail->ReadAfter(FeedPosition(0), 100000, size_t{1} << 30, &out) ==
          FeedTail::ReadOutcome::kOk);
  REQUIRE(out.size() == total);
  for (size_t i = 0; i < out.size(); ++i) {
    REQUIRE(out[i]->position == FeedPosition(i + 1));
  }
}

TEST_CASE("identical appends racing in one group are written once") {
  TempDir dir;
  auto log = OpenLog(dir);
  AppendBatch batch = OneStream("gasum", "s", 2);
  std::vector<std::promise<absl::StatusOr<AppendResult>>> promises(20);
  for (auto& p : promises) {
    log->Append(
        batch, [&p](const absl::StatusOr<AppendResult>& r) { p.set_value(r); });
  }
  int originals = 0;
  for (auto& p : promises) {
    auto r = p.get_future().get();
    REQUIRE(r.ok());
    REQUIRE(r->first_position == FeedPosition(1));
    REQUIRE(r->last_position == FeedPosition(2));
    originals += r->duplicate ? 0 : 1;
  }
  REQUIRE(originals == 1);
  REQUIRE(log->Head("gasum") == FeedPosition(2));
}

TEST_CASE("after close, appends fail with UNAVAILABLE and tails are closed") {
  TempDir dir;
  auto log = OpenLog(dir);
  auto tail = log->Tail("gasum");
  log->Close();
  REQUIRE(tail->closed());
  auto r = AppendSync(*log, OneStream("gasum", "s", 1));
  REQUIRE(r.status().code() == absl::StatusCode::kUnavailable);
  REQUIRE(log->WriteHealth().code() == absl::StatusCode::kUnavailable);
}

TEST_CASE("the segment index records position ranges and sizes") {
  TempDir dir;
  EventLogOptions options = TestOptions(dir.path());
  options.segment_events = 4;
  {
    auto log = EventLog::Open(options);
    REQUIRE(log.ok());
    REQUIRE(AppendSync(**log, OneStream("gasum", "s", 6)).ok());
    REQUIRE(AppendSync(**log, OneStream("gasum", "s", 4)).ok());
  }
  testing::RawDatabase raw(options.data_dir, /*read_only=*/true);
  rocksdb::ColumnFamilyHandle* meta = raw.family(keys::kMetaFamily);
  rocksdb::DB* db = &raw.db();
  const uint64_t expected[3][2] = {{1, 4}, {5, 8}, {9, 10}};
  for (uint64_t seg = 0; seg < 3; ++seg) {
    std::string value;
    REQUIRE(db->Get(rocksdb::ReadOptions(), meta,
                    keys::SegmentKey(CustomerKey(1), seg), &value)
                .ok());
    auto record = keys::ParseSegmentRecord(value);
    REQUIRE(record);
    REQUIRE(record->first_position == FeedPosition(expected[seg][0]));
    REQUIRE(record->last_position == FeedPosition(expected[seg][1]));
    REQUIRE(record->bytes > 0);
    REQUIRE(record->min_recorded_at_micros <= record->max_recorded_at_micros);
  }
}

// Regression: results of a group were keyed by first position alone, so a
// retry for one customer matched another customer's append at the same
// position in the same group and was refused as ALREADY_EXISTS.
TEST_CASE("retries in one group are matched within their own customer") {
  TempDir dir;
  auto log = OpenLog(dir);
  AppendBatch a = OneStream("orsted-dk", "s", 1);
  AppendBatch b = OneStream("gasum", "t", 2);
  std::vector<std::promise<absl::StatusOr<AppendResult>>> promises(4);
  const std::vector<AppendBatch*> order = {&a, &b, &b, &a};
  for (size_t i = 0; i < order.size(); ++i) {
    log->Append(*order[i], [&promises, i](absl::StatusOr<AppendResult> r) {
      promises[i].set_value(std::move(r));
    });
  }
  for (size_t i = 0; i < order.size(); ++i) {
    auto r = promises[i].get_future().get();
    INFO(i << " " << r.status().ToString());
    REQUIRE(r.ok());
    REQUIRE(r->first_position == FeedPosition(1));
    REQUIRE(r->duplicate == (i >= 2));
  }
}

TEST_CASE("tails of names without events live only while they are used") {
  TempDir dir;
  auto log = OpenLog(dir);
  std::weak_ptr<FeedTail> forgotten = log->Tail("nobody-1");
  REQUIRE(forgotten.expired());  // nothing keeps a tail of an unknown name

  std::shared_ptr<FeedTail> waiting = log->Tail("newcomer");
  REQUIRE(log->Tail("newcomer") == waiting);  // shared while in use
  REQUIRE(AppendSync(*log, OneStream("newcomer", "s", 2)).ok());
  // The first append published to the very tail the subscriber holds.
  REQUIRE(waiting->head() == FeedPosition(2));
  std::weak_ptr<FeedTail> weak = waiting;
  waiting.reset();
  REQUIRE_FALSE(weak.expired());  // a customer's tail now lives with the log
  REQUIRE(log->Tail("newcomer")->head() == FeedPosition(2));
}

TEST_CASE("a lookup whose events exceed the reply limit is refused") {
  TempDir dir;
  auto log = OpenLog(dir);
  std::vector<FeedPosition> positions;
  for (int i = 0; i < 40; ++i) {
    AppendBatch batch = OneStream("gasum", "s", 1);
    batch.writes[0].events[0].data = std::string(1 << 20, 'x');
    REQUIRE(AppendSync(*log, batch).ok());
    positions.emplace_back(static_cast<uint64_t>(i) + 1);
  }
  auto too_much = log->Lookup("gasum", {}, positions, true);
  REQUIRE(too_much.status().code() == absl::StatusCode::kResourceExhausted);
  auto headers = log->Lookup("gasum", {}, positions, false);
  REQUIRE(headers.ok());
  REQUIRE(headers->events.size() == 40);
}

namespace {

// A subscriber that waits again as soon as it is woken (on the publishing
// thread), counting the wakes.
class RewaitingWaiter : public TailWaiter,
                        public std::enable_shared_from_this<RewaitingWaiter> {
 public:
  static std::shared_ptr<RewaitingWaiter> Start(
      std::shared_ptr<FeedTail> tail) {
    auto waiter = std::make_shared<RewaitingWaiter>(std::move(tail));
    waiter->Wait();
    return waiter;
  }
  explicit RewaitingWaiter(std::shared_ptr<FeedTail> tail)
      : tail_(std::move(tail)) {}

  void OnFeedAdvanced() override {
    ++wakes;
    Wait();
  }

  std::atomic<int> wakes{0};

 private:
  void Wait() {
    while (!tail_->closed() &&
           tail_->AwaitAfter(tail_->head(), weak_from_this())) {
    }
  }
  std::shared_ptr<FeedTail> tail_;
};

}  // namespace

TEST_CASE(
    "a waiting subscriber is woken once per commit, not once per append") {
  // Regression: the commit path published each append separately, so a
  // subscriber of single-event appends was woken once per event. Now each
  // customer's events of one fsync are published at once.
  TempDir dir;
  auto log = OpenLog(dir);
  auto waiter = RewaitingWaiter::Start(log->Tail("gasum"));
  constexpr int kAppends = 200;
  std::vector<std::promise<absl::StatusOr<AppendResult>>> promises(kAppends);
  for (auto& p : promises) {
    // Queued without waiting, so they are committed in a few groups.
    log->Append(
        OneStream("gasum", "s", 1),
        [&p](absl::StatusOr<AppendResult> r) { p.set_value(std::move(r)); });
  }
  for (auto& p : promises) REQUIRE(p.get_future().get().ok());
  REQUIRE(log->Head("gasum") == FeedPosition(kAppends));
  // At least one wake, and fewer than one per append (200 appends queued at
  // once do not take 200 separate commits).
  CHECK(waiter->wakes.load() >= 1);
  CHECK(waiter->wakes.load() < kAppends);
}
