// CheckpointStore through the EventLog: monotonic durable commits, lookups,
// ordered paged listing, deletes, and removal with the customer.
#include <catch2/catch.hpp>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "storage/event_log.h"
#include "storage/key_format.h"
#include "tests/unit/test_support.h"

namespace evstore::testing {
namespace {

constexpr char kCustomer[] = "alpha-gas";

absl::StatusOr<Checkpoint> CommitSync(EventLog& log, std::string_view customer,
                                      CheckpointId id, uint64_t position,
                                      bool allow_backwards = false) {
  std::promise<absl::StatusOr<Checkpoint>> done;
  log.checkpoints().Commit(
      customer,
      CheckpointCommit{std::move(id), FeedPosition(position), allow_backwards},
      [&done](absl::StatusOr<Checkpoint> result) {
        done.set_value(std::move(result));
      });
  return done.get_future().get();
}

absl::StatusOr<bool> DeleteSync(EventLog& log, std::string_view customer,
                                CheckpointId id) {
  std::promise<absl::StatusOr<bool>> done;
  log.checkpoints().Delete(customer, std::move(id),
                           [&done](absl::StatusOr<bool> result) {
                             done.set_value(std::move(result));
                           });
  return done.get_future().get();
}

CheckpointId Whole(std::string name) {
  return CheckpointId{std::move(name), Partition{}};
}
CheckpointId Part(std::string name, uint32_t index, uint32_t count) {
  return CheckpointId{std::move(name), Partition{index, count}};
}

// A log with kCustomer holding 10 events.
struct Fixture {
  Fixture() { Open(); }
  void Open() {
    auto opened = EventLog::Open(TestOptions(dir.path()));
    REQUIRE(opened.ok());
    log = *std::move(opened);
  }
  void Populate() {
    REQUIRE(CreateCustomerSync(*log, kCustomer).ok());
    REQUIRE(AppendSync(*log, OneStream(kCustomer, "s/1", 10)).ok());
  }
  TempDir dir;
  std::unique_ptr<EventLog> log;
};

TEST_CASE("a committed checkpoint is read back and survives a reopen") {
  Fixture f;
  f.Populate();
  absl::StatusOr<Checkpoint> committed =
      CommitSync(*f.log, kCustomer, Whole("loader"), 4);
  REQUIRE(committed.ok());
  CHECK(committed->position == FeedPosition(4));
  CHECK(committed->committed_at_micros > 0);
  f.log->Close();
  f.log.reset();
  f.Open();
  absl::StatusOr<Checkpoint> read =
      f.log->checkpoints().Get(kCustomer, Whole("loader"));
  REQUIRE(read.ok());
  CHECK(read->position == FeedPosition(4));
  CHECK(read->committed_at_micros == committed->committed_at_micros);
  CHECK(read->id == Whole("loader"));
}

TEST_CASE("checkpoint commits are monotonic unless allow_backwards") {
  Fixture f;
  f.Populate();
  REQUIRE(CommitSync(*f.log, kCustomer, Whole("loader"), 0).ok());
  absl::StatusOr<Checkpoint> first =
      CommitSync(*f.log, kCustomer, Whole("loader"), 7);
  REQUIRE(first.ok());

  absl::StatusOr<Checkpoint> backwards =
      CommitSync(*f.log, kCustomer, Whole("loader"), 3);
  CHECK(backwards.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(std::string(backwards.status().message()),
             Catch::Contains("is at position 7"));

  // Equal: a no-op that keeps the original committed_at.
  absl::StatusOr<Checkpoint> equal =
      CommitSync(*f.log, kCustomer, Whole("loader"), 7);
  REQUIRE(equal.ok());
  CHECK(equal->committed_at_micros == first->committed_at_micros);

  absl::StatusOr<Checkpoint> replay =
      CommitSync(*f.log, kCustomer, Whole("loader"), 3, true);
  REQUIRE(replay.ok());
  CHECK(f.log->checkpoints().Get(kCustomer, Whole("loader"))->position ==
        FeedPosition(3));
}

TEST_CASE("a checkpoint beyond the head or of an unknown customer fails") {
  Fixture f;
  f.Populate();
  CHECK(CommitSync(*f.log, kCustomer, Whole("loader"), 10).ok());
  absl::StatusOr<Checkpoint> beyond =
      CommitSync(*f.log, kCustomer, Whole("loader"), 11);
  CHECK(beyond.status().code() == absl::StatusCode::kOutOfRange);
  CHECK_THAT(std::string(beyond.status().message()),
             Catch::Contains("beyond the head") && Catch::Contains("(10)"));
  CHECK(CommitSync(*f.log, "nobody", Whole("loader"), 0).status().code() ==
        absl::StatusCode::kNotFound);
  CHECK(f.log->checkpoints().Get("nobody", Whole("loader")).status().code() ==
        absl::StatusCode::kNotFound);
  CHECK(f.log->checkpoints()
            .List("nobody", "", std::nullopt, 10)
            .status()
            .code() == absl::StatusCode::kNotFound);
  CHECK(DeleteSync(*f.log, "nobody", Whole("loader")).status().code() ==
        absl::StatusCode::kNotFound);
}

TEST_CASE("checkpoint names and partitions are validated") {
  Fixture f;
  f.Populate();
  for (const std::string& bad :
       {std::string(), std::string("with space"), std::string(129, 'a'),
        std::string("a\0b", 3), std::string("caf\xc3\xa9")}) {
    INFO("name \"" << bad << "\"");
    CHECK(CommitSync(*f.log, kCustomer, Whole(bad), 1).status().code() ==
          absl::StatusCode::kInvalidArgument);
  }
  CHECK(CommitSync(*f.log, kCustomer, Whole(std::string(128, 'a')), 1).ok());
  CHECK(CommitSync(*f.log, kCustomer, Whole("A-z_0.9:x/y"), 1).ok());
  for (const Partition bad : {Partition{1, 0}, Partition{4, 4},
                              Partition{0, kMaxPartitionCount + 1}}) {
    CHECK(CommitSync(*f.log, kCustomer, CheckpointId{"p", bad}, 1)
              .status()
              .code() == absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("checkpoints of different partitions are distinct") {
  Fixture f;
  f.Populate();
  REQUIRE(CommitSync(*f.log, kCustomer, Whole("loader"), 9).ok());
  REQUIRE(CommitSync(*f.log, kCustomer, Part("loader", 0, 2), 2).ok());
  REQUIRE(CommitSync(*f.log, kCustomer, Part("loader", 1, 2), 5).ok());
  CHECK(f.log->checkpoints().Get(kCustomer, Whole("loader"))->position ==
        FeedPosition(9));
  CHECK(f.log->checkpoints().Get(kCustomer, Part("loader", 0, 2))->position ==
        FeedPosition(2));
  CHECK(f.log->checkpoints().Get(kCustomer, Part("loader", 1, 2))->position ==
        FeedPosition(5));
  CHECK(f.log->checkpoints()
            .Get(kCustomer, Part("loader", 0, 4))
            .status()
            .code() == absl::StatusCode::kNotFound);
}

TEST_CASE("checkpoints are listed by name then partition a page at a time") {
  Fixture f;
  f.Populate();
  // Committed out of order; "a" sorts before "a-b" and "a/c".
  const std::vector<CheckpointId> ids = {
      Part("a", 1, 2), Whole("b"),      Part("a", 0, 2), Whole("a/c"),
      Whole("a"),      Part("a", 3, 4), Whole("a-b")};
  for (const CheckpointId& id : ids) {
    REQUIRE(CommitSync(*f.log, kCustomer, id, 1).ok());
  }
  const std::vector<CheckpointId> expected = {
      Whole("a"),   Part("a", 0, 2), Part("a", 1, 2), Part("a", 3, 4),
      Whole("a-b"), Whole("a/c"),    Whole("b")};
  std::vector<CheckpointId> listed;
  std::optional<CheckpointId> after;
  int pages = 0;
  while (true) {
    absl::StatusOr<CheckpointPage> page =
        f.log->checkpoints().List(kCustomer, "", after, 3);
    REQUIRE(page.ok());
    ++pages;
    for (const Checkpoint& c : page->checkpoints) listed.push_back(c.id);
    if (!page->more) break;
    after = page->checkpoints.back().id;
  }
  CHECK(pages == 3);
  CHECK(listed == expected);

  absl::StatusOr<CheckpointPage> prefixed =
      f.log->checkpoints().List(kCustomer, "a", std::nullopt, 100);
  REQUIRE(prefixed.ok());
  CHECK(prefixed->checkpoints.size() == 6);
  CHECK_FALSE(prefixed->more);
  absl::StatusOr<CheckpointPage> slash =
      f.log->checkpoints().List(kCustomer, "a/", std::nullopt, 100);
  REQUIRE(slash.ok());
  REQUIRE(slash->checkpoints.size() == 1);
  CHECK(slash->checkpoints[0].id == Whole("a/c"));
}

TEST_CASE("deleting a checkpoint reports whether it existed") {
  Fixture f;
  f.Populate();
  REQUIRE(CommitSync(*f.log, kCustomer, Whole("loader"), 5).ok());
  absl::StatusOr<bool> first = DeleteSync(*f.log, kCustomer, Whole("loader"));
  REQUIRE(first.ok());
  CHECK(*first);
  absl::StatusOr<bool> second = DeleteSync(*f.log, kCustomer, Whole("loader"));
  REQUIRE(second.ok());
  CHECK_FALSE(*second);
  CHECK(f.log->checkpoints().Get(kCustomer, Whole("loader")).status().code() ==
        absl::StatusCode::kNotFound);
  // After a delete, any position may be committed again.
  CHECK(CommitSync(*f.log, kCustomer, Whole("loader"), 1).ok());
}

TEST_CASE("deleting a customer deletes its checkpoints") {
  Fixture f;
  f.Populate();
  REQUIRE(CreateCustomerSync(*f.log, "beta-power").ok());
  REQUIRE(CommitSync(*f.log, kCustomer, Whole("loader"), 5).ok());
  REQUIRE(CommitSync(*f.log, kCustomer, Part("loader", 1, 2), 5).ok());
  REQUIRE(CommitSync(*f.log, "beta-power", Whole("loader"), 0).ok());
  REQUIRE(DeleteCustomerSync(*f.log, kCustomer).ok());
  REQUIRE(CreateCustomerSync(*f.log, kCustomer).ok());
  CHECK(f.log->checkpoints().Get(kCustomer, Whole("loader")).status().code() ==
        absl::StatusCode::kNotFound);
  CHECK(f.log->checkpoints().Get("beta-power", Whole("loader")).ok());
  f.log->Close();
  f.log.reset();
  // Nothing of the deleted customer's key is left on disk.
  RawDatabase raw(f.dir.path() + "/data", /*read_only=*/true);
  std::unique_ptr<rocksdb::Iterator> it(
      raw.db().NewIterator(rocksdb::ReadOptions(), raw.family("meta")));
  int left = 0;
  for (it->Seek(std::string(keys::kCheckpointKeyPrefix)); it->Valid();
       it->Next()) {
    std::optional<keys::CheckpointKeyParts> parts =
        keys::ParseCheckpointKey(it->key().ToStringView());
    if (!parts) break;
    ++left;
  }
  CHECK(left == 1);  // beta-power's.
}

TEST_CASE("racing commits of one checkpoint never move it backwards") {
  Fixture f;
  f.Populate();
  std::vector<std::thread> threads;
  threads.reserve(8);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&f, t] {
      for (uint64_t p = 0; p <= 10; ++p) {
        absl::StatusOr<Checkpoint> result =
            CommitSync(*f.log, kCustomer, Whole("loader"),
                       (p + static_cast<uint64_t>(t)) % 11);
        if (!result.ok()) {
          CHECK(result.status().code() ==
                absl::StatusCode::kFailedPrecondition);
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  CHECK(f.log->checkpoints().Get(kCustomer, Whole("loader"))->position ==
        FeedPosition(10));
}

}  // namespace
}  // namespace evstore::testing
