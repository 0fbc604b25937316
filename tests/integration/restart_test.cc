// Crash and restart of a real evstored: acknowledged appends survive SIGKILL
// with their positions and revisions, heads and stream revisions are
// recovered, idempotent retries still work, appends in flight at the crash
// are all-or-nothing, and a data directory serves one evstored at a time.
#include <fcntl.h>
#include <google/protobuf/util/message_differencer.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "tests/integration/evstored_process.h"
#include "tests/integration/test_events.h"

namespace evstore::testing {
namespace {

using Catch::Matchers::Contains;
using google::protobuf::util::MessageDifferencer;

// The two-stream append number `n` (ids of series 1000 + n).
v1::AppendRequest TwoStreamAppend(uint32_t n) {
  v1::AppendRequest request;
  request.set_customer(kOrsted);
  AddWrite(request, kNominations, 1000 + n, 1, 2);
  AddWrite(request, n % 2 == 0 ? kForecast : kOtherNominations, 1000 + n, 3, 1);
  return request;
}

// Requires that `response` of `request` is backed by the feed: the events at
// its positions are the request's, on their streams, at the revisions the
// response reported.
void RequireRecordedAsAcknowledged(const std::vector<v1::RecordedEvent>& feed,
                                   const v1::AppendRequest& request,
                                   const v1::AppendResponse& response) {
  uint64_t position = response.first_position();
  for (int w = 0; w < request.writes_size(); ++w) {
    uint64_t revision = response.streams(w).first_revision();
    for (const v1::ProposedEvent& event : request.writes(w).events()) {
      INFO("position " << position);
      REQUIRE(position >= 1);
      REQUIRE(position <= feed.size());
      const v1::RecordedEvent& recorded = feed[position - 1];
      CHECK(recorded.id() == event.id());
      CHECK(recorded.stream() == request.writes(w).stream());
      CHECK(recorded.revision() == revision);
      CHECK(recorded.data() == event.data());
      ++position;
      ++revision;
    }
    CHECK(revision - 1 == response.streams(w).last_revision());
  }
  CHECK(position - 1 == response.last_position());
}

TEST_CASE(
    "acknowledged events survive a crash with the same positions and "
    "revisions") {
  EvstoredProcess server;
  std::vector<v1::AppendRequest> requests;
  std::vector<v1::AppendResponse> responses;
  {
    auto client = server.Connect();
    for (uint32_t n = 0; n < 40; ++n) {
      requests.push_back(TwoStreamAppend(n));
      responses.push_back(MustAppend(*client, requests.back()));
    }
    // Another customer, too.
    MustAppend(*client, SingleWrite(kGasum, kNominations, 1, 1, 3));
  }
  std::vector<v1::RecordedEvent> before;
  {
    auto client = server.Connect();
    before = ReadFeed(*client, kOrsted);
  }
  REQUIRE(before.size() == 120);

  server.Kill();
  server.Start();
  auto client = server.Connect();

  const std::vector<v1::RecordedEvent> after = ReadFeed(*client, kOrsted);
  REQUIRE(after.size() == before.size());
  for (size_t i = 0; i < after.size(); ++i) {
    INFO("position " << i + 1);
    CHECK(MessageDifferencer::Equals(after[i], before[i]));
  }
  for (size_t i = 0; i < requests.size(); ++i) {
    RequireRecordedAsAcknowledged(after, requests[i], responses[i]);
  }
  const std::vector<v1::RecordedEvent> gasum = ReadFeed(*client, kGasum);
  CHECK(PositionsOf(gasum) == Sequence(1, 3));
  CHECK(ReadStream(*client, kOrsted, kNominations).size() == 80);
  CHECK(ReadStream(*client, kOrsted, kForecast).size() == 20);
}

TEST_CASE("feed heads and stream revisions are recovered after a crash") {
  EvstoredProcess server;
  {
    auto client = server.Connect();
    for (uint32_t n = 0; n < 5; ++n) MustAppend(*client, TwoStreamAppend(n));
    MustAppend(*client, SingleWrite(kGasum, kNominations, 1, 1, 2));
  }
  // orsted-dk: head 15, nominations at 10, forecast at 3, DS000112 at 2.
  server.Kill();
  server.Start();
  auto client = server.Connect();

  v1::AppendRequest stale = SingleWrite(kOrsted, kNominations, 2, 1, 1);
  stale.mutable_writes(0)->set_expected_revision(9);
  absl::StatusOr<v1::AppendResponse> rejected = client->Append(stale);
  REQUIRE_FALSE(rejected.ok());
  CHECK(rejected.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(MessageOf(rejected.status()), Contains("actual revision is 10"));

  v1::AppendRequest exists = SingleWrite(kOrsted, kForecast, 3, 1, 1);
  exists.mutable_writes(0)->set_expected_state(v1::EXPECTED_STATE_NO_STREAM);
  rejected = client->Append(exists);
  REQUIRE_FALSE(rejected.ok());
  CHECK_THAT(MessageOf(rejected.status()), Contains("exists at revision 3"));

  v1::AppendRequest next;
  next.set_customer(kOrsted);
  AddWrite(next, kNominations, 4, 1, 1)->set_expected_revision(10);
  AddWrite(next, kOtherNominations, 4, 2, 2)->set_expected_revision(2);
  const v1::AppendResponse appended = MustAppend(*client, next);
  CHECK(appended.first_position() == 16);
  CHECK(appended.last_position() == 18);
  CHECK(appended.streams(0).first_revision() == 11);
  CHECK(appended.streams(1).first_revision() == 3);
  CHECK(appended.streams(1).last_revision() == 4);

  v1::AppendRequest gasum = SingleWrite(kGasum, kNominations, 5, 1, 1);
  gasum.mutable_writes(0)->set_expected_revision(2);
  CHECK(MustAppend(*client, gasum).first_position() == 3);
  CHECK(PositionsOf(ReadFeed(*client, kOrsted)) == Sequence(1, 18));
}

TEST_CASE(
    "retrying an append made before a crash returns the original result marked "
    "duplicate") {
  EvstoredProcess server;
  const v1::AppendRequest request = TwoStreamAppend(7);
  v1::AppendResponse original;
  {
    auto client = server.Connect();
    MustAppend(*client, TwoStreamAppend(6));
    original = MustAppend(*client, request);
    MustAppend(*client, TwoStreamAppend(8));
  }
  server.Kill();
  server.Start();
  auto client = server.Connect();

  const v1::AppendResponse retry = MustAppend(*client, request);
  CHECK(retry.duplicate());
  CHECK(retry.first_position() == 4);
  CHECK(retry.first_position() == original.first_position());
  CHECK(retry.last_position() == original.last_position());
  REQUIRE(retry.streams_size() == original.streams_size());
  for (int i = 0; i < retry.streams_size(); ++i) {
    CHECK(retry.streams(i).stream() == original.streams(i).stream());
    CHECK(retry.streams(i).first_revision() ==
          original.streams(i).first_revision());
    CHECK(retry.streams(i).last_revision() ==
          original.streams(i).last_revision());
  }
  CHECK(retry.recorded_at().seconds() == original.recorded_at().seconds());
  CHECK(retry.recorded_at().nanos() == original.recorded_at().nanos());
  CHECK(FeedHead(*client, kOrsted) == 9);

  // Mixing a pre-crash id with a new one is still refused.
  v1::AppendRequest mixed = SingleWrite(kOrsted, kNominations, 9, 1, 1);
  *mixed.mutable_writes(0)->add_events() = request.writes(0).events(0);
  absl::StatusOr<v1::AppendResponse> rejected = client->Append(mixed);
  REQUIRE_FALSE(rejected.ok());
  CHECK(rejected.status().code() == absl::StatusCode::kAlreadyExists);
  CHECK(FeedHead(*client, kOrsted) == 9);
}

TEST_CASE(
    "appends in flight at a crash are all-or-nothing and acknowledged ones "
    "survive") {
  EvstoredProcess server;
  auto client = server.Connect();

  struct Attempt {
    v1::AppendRequest request;
    absl::StatusOr<v1::AppendResponse> outcome;
  };
  std::mutex mu;
  std::vector<Attempt> attempts;
  std::atomic<int> acknowledged{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (uint32_t t = 0; t < 4; ++t) {
    writers.emplace_back([&, t] {
      for (uint32_t i = 0; !stop.load(); ++i) {
        v1::AppendRequest request = TwoStreamAppend(t * 100000 + i);
        absl::StatusOr<v1::AppendResponse> outcome = client->Append(request);
        const bool ok = outcome.ok();
        {
          std::lock_guard<std::mutex> lock(mu);
          attempts.push_back({std::move(request), std::move(outcome)});
        }
        if (!ok) return;  // The server is gone.
        acknowledged.fetch_add(1);
      }
    });
  }
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (acknowledged.load() < 200 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  server.Kill();
  stop.store(true);
  for (std::thread& writer : writers) writer.join();
  REQUIRE(acknowledged.load() >= 200);

  server.Start();
  client = server.Connect();
  const std::vector<v1::RecordedEvent> feed = ReadFeed(*client, kOrsted);
  CHECK(PositionsOf(feed) == Sequence(1, feed.size()));

  size_t failed = 0;
  size_t events_expected = 0;
  for (const Attempt& attempt : attempts) {
    if (attempt.outcome.ok()) {
      RequireRecordedAsAcknowledged(feed, attempt.request, *attempt.outcome);
      events_expected += 3;
      continue;
    }
    ++failed;
    INFO("failed attempt: " << attempt.outcome.status());
    CHECK(attempt.outcome.status().code() == absl::StatusCode::kUnavailable);
    // Either all of its events were recorded, as one append, or none.
    v1::GetEventsRequest lookup;
    lookup.set_customer(kOrsted);
    for (const std::string& id : IdsOf(attempt.request)) lookup.add_ids(id);
    absl::StatusOr<v1::GetEventsResponse> found = client->GetEvents(lookup);
    REQUIRE(found.ok());
    const bool recorded = found->events_size() == 3;
    CHECK((recorded || found->events_size() == 0));
    if (recorded) {
      events_expected += 3;
      CHECK(found->events(1).position() == found->events(0).position() + 1);
      CHECK(found->events(2).position() == found->events(0).position() + 2);
    }
    // Retrying is safe either way.
    const v1::AppendResponse retry = MustAppend(*client, attempt.request);
    CHECK(retry.duplicate() == recorded);
    if (recorded) CHECK(retry.first_position() == found->events(0).position());
  }
  CHECK(failed <= 4);
  CHECK(feed.size() == events_expected);
}

TEST_CASE("a graceful stop and start keeps every event") {
  EvstoredProcess server;
  {
    auto client = server.Connect();
    for (uint32_t n = 0; n < 10; ++n) MustAppend(*client, TwoStreamAppend(n));
  }
  const int status = server.Stop();
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  server.Start();
  auto client = server.Connect();
  CHECK(PositionsOf(ReadFeed(*client, kOrsted)) == Sequence(1, 30));
  CHECK(MustAppend(*client, TwoStreamAppend(10)).first_position() == 31);
}

TEST_CASE(
    "a second evstored on a data directory in use exits with an error naming "
    "the directory") {
  EvstoredProcess server;
  {
    auto client = server.Connect();
    MustAppend(*client, SingleWrite(kOrsted, kNominations, 1, 1, 1));
  }
  char stderr_template[] = "/tmp/evstore-second-stderr-XXXXXX";
  const int stderr_fd = mkstemp(stderr_template);
  REQUIRE(stderr_fd >= 0);
  const std::string stderr_path = stderr_template;

  std::vector<std::string> args = {EvstoredPath(), "--listen=127.0.0.1:0",
                                   "--data_dir=" + server.data_dir()};
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    dup2(stderr_fd, STDERR_FILENO);
    dup2(stderr_fd, STDOUT_FILENO);
    std::vector<char*> argv;
    argv.reserve(args.size() + 1);
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(stderr_fd);
  int status = 0;
  bool exited = false;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid, &status, WNOHANG) == pid) {
      exited = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (!exited) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
  }
  std::ifstream in(stderr_path);
  std::stringstream text;
  text << in.rdbuf();
  unlink(stderr_path.c_str());
  INFO("second evstored output: " << text.str());
  REQUIRE(exited);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 1);
  CHECK_THAT(text.str(), Contains("evstored: ") &&
                             Contains(server.data_dir()) &&
                             Contains("in use by another process"));

  // The first server is unaffected.
  auto client = server.Connect();
  CHECK(MustAppend(*client, SingleWrite(kOrsted, kNominations, 2, 1, 1))
            .first_position() == 2);
}

}  // namespace
}  // namespace evstore::testing
