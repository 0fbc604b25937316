// `evstore-relay redrive` end to end: the real binary re-posts dead letters
// to a local HTTP receiver. A dead letter the receiver now accepts is
// delivered signed and unchanged and leaves the file; one it still refuses
// stays with its attempts increased; a redrive racing a relay that appends
// loses and duplicates nothing; a dry run changes nothing; the leftover of a
// redrive that died is taken over by the next one.
#include <curl/curl.h>
#include <fcntl.h>
#include <simdjson.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "relay/dead_letter_claim.h"
#include "relay/dead_letter_file.h"
#include "relay/dead_letter_listing.h"
#include "relay/webhook_signature.h"
#include "relay/webhook_sink.h"
#include "tests/integration/evstored_process.h"
#include "tests/integration/run_process.h"
#include "tests/integration/test_events.h"
#include "tests/relay/relay_process.h"
#include "tests/relay/relay_test_feed.h"
#include "tests/relay/webhook_receiver.h"

namespace evstore::testing {
namespace {

constexpr char kSecret[] = "whsec-redrive-0123456789";
constexpr char kSecretVariable[] = "RELAY_REDRIVE_TEST_SECRET";

// The feed position a CloudEvent body carries; 0 when it has none. Safe on
// the receiver's threads (no Catch2 assertions).
uint64_t PositionOf(const std::string& body) {
  simdjson::dom::parser parser;
  std::string_view position;
  uint64_t value = 0;
  if (parser.parse(body)["evstoreposition"].get(position) !=
          simdjson::SUCCESS ||
      !absl::SimpleAtoi(std::string(position), &value)) {
    return 0;
  }
  return value;
}

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A dead-letter file in a fresh directory, a configuration naming it with
// the receiver's URL, and `evstore-relay` commands on that configuration.
class RedriveSetup {
 public:
  RedriveSetup(const WebhookReceiver& receiver, int max_attempts) {
    static std::atomic<int> next{0};
    const char* tmp = std::getenv("TMPDIR");
    directory_ = absl::StrCat(tmp != nullptr ? tmp : "/tmp",
                              "/relay_redrive_test.", ::getpid(), ".", ++next);
    std::filesystem::remove_all(directory_);
    std::filesystem::create_directories(directory_);
    dead_letters_ = directory_ + "/orsted-dk.erp-hook.dlq.jsonl";
    config_ = directory_ + "/relay.json";
    std::ofstream(config_) << R"({"server": {"address": "unused:1",
        "token_env": "UNUSED"}, "customers": [{"customer": "orsted-dk",
        "sinks": [{"name": "erp-hook", "type": "webhook", "url": ")"
                           << receiver.url() << R"(", "secret_env": ")"
                           << kSecretVariable << R"(", "max_attempts": )"
                           << max_attempts << R"(, "initial_backoff_ms": 5,
        "max_backoff_ms": 20, "timeout_ms": 5000, "dead_letter_file": ")"
                           << dead_letters_ << R"("}]}]})";
  }
  ~RedriveSetup() { std::filesystem::remove_all(directory_); }
  RedriveSetup(const RedriveSetup&) = delete;
  RedriveSetup& operator=(const RedriveSetup&) = delete;

  const std::string& dead_letters() const { return dead_letters_; }

  ProcessResult Run(const std::string& command,
                    std::vector<std::string> flags = {}) const {
    std::vector<std::string> argv = {RelayPath(), command,
                                     "--config=" + config_};
    argv.insert(argv.end(), flags.begin(), flags.end());
    return RunProcess(argv, {absl::StrCat(kSecretVariable, "=", kSecret)},
                      std::chrono::seconds(120));
  }
  ProcessResult Redrive(std::vector<std::string> flags = {}) const {
    flags.insert(flags.begin(), {"--customer=orsted-dk", "--sink=erp-hook"});
    return Run("redrive", flags);
  }

  std::vector<relay::DeadLetterSummary> Records() const {
    absl::StatusOr<std::vector<relay::DeadLetterSummary>> records =
        relay::ReadDeadLetters(dead_letters_);
    REQUIRE(records.ok());
    return *records;
  }
  std::vector<std::string> Leftovers() const {
    absl::StatusOr<std::vector<std::string>> files =
        relay::RedriveFiles(dead_letters_);
    REQUIRE(files.ok());
    return *files;
  }

 private:
  std::string directory_;
  std::string dead_letters_;
  std::string config_;
};

// A dead letter of kOrsted's sink "erp-hook" at `position`, appended to
// `file` the way the webhook sink does.
void AppendDeadLetter(const relay::DeadLetterFile& file, uint64_t position,
                      int attempts = 3, const std::string& sink = "erp-hook") {
  v1::RecordedEvent event;
  event.set_customer(kOrsted);
  event.set_position(position);
  event.set_id(TestUuid(90, position));
  event.set_stream(kNominations);
  const std::string body = absl::StrCat(
      R"({"specversion":"1.0","id":")", event.id(),
      R"(","type":"T","source":"evstore://orsted-dk",)",
      R"("evstoreposition":")", position, R"(","data":{"n":)", position, "}}");
  REQUIRE(file.Append(event, {.sink = sink,
                              .attempts = attempts,
                              .last_error = "HTTP 500",
                              .cloud_event_json = body})
              .ok());
}

TEST_CASE(
    "redrive delivers a dead letter the receiver now accepts and empties the "
    "file") {
  EvstoredProcess server;
  const std::unique_ptr<client::Client> client = server.Connect();
  constexpr int kEvents = 12;
  const std::vector<std::string> ids = AppendInterleaved(*client, 86, kEvents);
  v1::ReadRequest read;
  read.set_customer(kOrsted);
  read.set_max_count(kEvents);
  absl::StatusOr<std::vector<v1::RecordedEvent>> events = client->ReadAll(read);
  REQUIRE(events.ok());
  REQUIRE(events->size() == kEvents);
  const std::string& poisoned = ids[4];  // Position 5.

  std::atomic<bool> refusing{true};
  WebhookReceiver receiver([&](const ReceivedRequest& request) {
    const bool refuse =
        refusing && request.body.find(poisoned) != std::string::npos;
    return ReceiverReply{.status = refuse ? 500 : 200};
  });
  RedriveSetup setup(receiver, /*max_attempts=*/3);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  absl::StatusOr<std::unique_ptr<relay::WebhookSink>> sink =
      relay::WebhookSink::Create({.sink_name = "erp-hook",
                                  .url = receiver.url(),
                                  .secret = kSecret,
                                  .max_attempts = 3,
                                  .initial_backoff = absl::Milliseconds(5),
                                  .max_backoff = absl::Milliseconds(20),
                                  .dead_letter_file = setup.dead_letters()},
                                 nullptr);
  REQUIRE(sink.ok());
  relay::DeliveryReport report;
  REQUIRE((*sink)->Deliver(*events, report).ok());
  REQUIRE(report.delivered == kEvents - 1);
  REQUIRE(report.dead_lettered == 1);
  REQUIRE(setup.Records().size() == 1);
  const std::size_t requests_before = receiver.requests().size();

  refusing = false;
  const ProcessResult redriven = setup.Redrive();
  CHECK(redriven.exit_code == 0);
  CHECK(redriven.out == absl::StrCat("5\t", poisoned,
                                     "\tdelivered\nredrive: 1 delivered, 0 "
                                     "still dead-lettered\n"));
  const std::vector<ReceivedRequest> requests = receiver.requests();
  REQUIRE(requests.size() == requests_before + 1);
  const ReceivedRequest& reposted = requests.back();
  CHECK(reposted.status == 200);
  CHECK(SignatureVerifies(reposted, kSecret));
  CHECK(PositionOf(reposted.body) == 5);
  // The body is the one the sink sent and dead-lettered, byte for byte.
  bool same_body_refused = false;
  for (std::size_t i = 0; i < requests_before; ++i) {
    if (requests[i].status == 500) {
      same_body_refused = requests[i].body == reposted.body;
    }
  }
  CHECK(same_body_refused);

  CHECK(setup.Records().empty());
  CHECK(setup.Leftovers().empty());
  const ProcessResult listed = setup.Run("dead-letters");
  CHECK(listed.exit_code == 0);
  CHECK(listed.out.empty());
  CHECK(listed.err.empty());
}

TEST_CASE(
    "redrive keeps a dead letter the receiver still refuses with its attempts "
    "increased") {
  std::atomic<int> received{0};
  WebhookReceiver receiver([&](const ReceivedRequest&) {
    ++received;
    return ReceiverReply{.status = 503};
  });
  RedriveSetup setup(receiver, /*max_attempts=*/2);
  AppendDeadLetter(relay::DeadLetterFile(setup.dead_letters()), 7,
                   /*attempts=*/3);

  const ProcessResult redriven = setup.Redrive();
  CHECK(redriven.exit_code == 1);
  CHECK(redriven.out == absl::StrCat("7\t", TestUuid(90, 7),
                                     "\tfailed: HTTP 503\nredrive: 0 "
                                     "delivered, 1 still dead-lettered\n"));
  CHECK(received == 2);  // max_attempts of the sink.
  const std::vector<relay::DeadLetterSummary> records = setup.Records();
  REQUIRE(records.size() == 1);
  CHECK(records[0].position == 7);
  CHECK(records[0].id == TestUuid(90, 7));
  CHECK(records[0].attempts == 5);
  CHECK(records[0].last_error == "HTTP 503");
  CHECK(setup.Leftovers().empty());
}

TEST_CASE("redrive with --dry-run posts nothing and changes no file") {
  std::atomic<int> received{0};
  WebhookReceiver receiver([&](const ReceivedRequest&) {
    ++received;
    return ReceiverReply{.status = 200};
  });
  RedriveSetup setup(receiver, /*max_attempts=*/2);
  const relay::DeadLetterFile file(setup.dead_letters());
  AppendDeadLetter(file, 3);
  AppendDeadLetter(file, 4, 3, "other-hook");
  const std::string before = ReadWholeFile(setup.dead_letters());

  const ProcessResult dry = setup.Redrive({"--dry-run"});
  CHECK(dry.exit_code == 0);
  CHECK(dry.out == absl::StrCat("3\t", TestUuid(90, 3), "\twould re-post\n4\t",
                                TestUuid(90, 4),
                                "\tskipped: another sink's record\n"
                                "dry run: 1 would be re-posted, 1 of other "
                                "sinks\n"));
  CHECK(received == 0);
  CHECK(ReadWholeFile(setup.dead_letters()) == before);
  CHECK(setup.Leftovers().empty());
}

TEST_CASE(
    "redrive racing a relay that appends dead letters loses and duplicates "
    "no record") {
  // Odd positions are accepted, even ones refused (400: at once).
  std::atomic<int> received{0};
  WebhookReceiver receiver([&](const ReceivedRequest& request) {
    ++received;
    return ReceiverReply{.status =
                             PositionOf(request.body) % 2 == 1 ? 200 : 400};
  });
  RedriveSetup setup(receiver, /*max_attempts=*/2);
  const relay::DeadLetterFile file(setup.dead_letters());
  constexpr uint64_t kBefore = 50;
  constexpr uint64_t kConcurrent = 200;
  for (uint64_t position = 1; position <= kBefore; ++position) {
    AppendDeadLetter(file, position);
  }
  // The relay's side: appends while redrives take the file away.
  std::atomic<bool> appending{true};
  // Paced, so that several redrives take the file while it appends (it is
  // correct at any pace; the pace only makes the races likelier).
  std::thread relay_thread([&] {
    for (uint64_t position = kBefore + 1; position <= kBefore + kConcurrent;
         ++position) {
      AppendDeadLetter(file, position);
      absl::SleepFor(absl::Milliseconds(10));
    }
    appending = false;
  });
  int redrives = 0;
  while (appending || redrives == 0) {
    const ProcessResult redriven = setup.Redrive();
    CHECK((redriven.exit_code == 0 || redriven.exit_code == 1));
    CHECK(redriven.err.empty());
    ++redrives;
  }
  relay_thread.join();
  UNSCOPED_INFO("redrives: " << redrives << ", requests: " << received);

  // Every record is either delivered exactly once or in the file exactly
  // once, never both.
  std::map<uint64_t, int> delivered;
  for (const ReceivedRequest& request : receiver.requests()) {
    CHECK(SignatureVerifies(request, kSecret));
    if (request.status == 200) ++delivered[PositionOf(request.body)];
  }
  std::map<uint64_t, int> in_file;
  for (const relay::DeadLetterSummary& record : setup.Records()) {
    ++in_file[record.position];
    if (record.position % 2 == 1) CHECK(record.attempts == 3);  // Not tried.
  }
  for (uint64_t position = 1; position <= kBefore + kConcurrent; ++position) {
    INFO("position " << position);
    CHECK(delivered[position] + in_file[position] == 1);
    if (position % 2 == 0) CHECK(delivered[position] == 0);
  }
  // The first redrive took at least the records written before it.
  int delivered_count = 0;
  for (const auto& [position, times] : delivered) delivered_count += times;
  CHECK(delivered_count >= static_cast<int>(kBefore / 2));
  CHECK(setup.Leftovers().empty());
}

// Whether a process waits in flock() for the file `fd` is open on
// (/proc/locks lists waiters with "->").
bool SomeoneWaitsForFlock(int fd) {
  struct stat file = {};
  REQUIRE(::fstat(fd, &file) == 0);
  const std::string inode = absl::StrCat(":", file.st_ino, " ");
  std::ifstream locks("/proc/locks");
  std::string line;
  while (std::getline(locks, line)) {
    if (line.find("->") != std::string::npos &&
        line.find("FLOCK") != std::string::npos &&
        line.find(inode) != std::string::npos) {
      return true;
    }
  }
  return false;
}

TEST_CASE(
    "dead-letter append that waited for the lock of a file renamed meanwhile "
    "writes into the new file") {
  WebhookReceiver receiver(
      [](const ReceivedRequest&) { return ReceiverReply{.status = 200}; });
  RedriveSetup setup(receiver, /*max_attempts=*/1);
  const relay::DeadLetterFile file(setup.dead_letters());
  AppendDeadLetter(file, 1);
  // What a redrive does, step by step: lock, rename, unlock, while an
  // Append waits for the lock on the old file.
  const int fd = ::open(setup.dead_letters().c_str(), O_RDWR | O_CLOEXEC);
  REQUIRE(fd >= 0);
  REQUIRE(::flock(fd, LOCK_EX) == 0);
  std::thread appender([&] { AppendDeadLetter(file, 2); });
  while (!SomeoneWaitsForFlock(fd)) absl::SleepFor(absl::Milliseconds(1));
  const std::string taken = setup.dead_letters() + ".redrive.test";
  REQUIRE(::rename(setup.dead_letters().c_str(), taken.c_str()) == 0);
  REQUIRE(::flock(fd, LOCK_UN) == 0);
  appender.join();
  ::close(fd);

  absl::StatusOr<std::vector<relay::DeadLetterSummary>> old_file =
      relay::ReadDeadLetters(taken);
  REQUIRE(old_file.ok());
  REQUIRE(old_file->size() == 1);
  CHECK((*old_file)[0].position == 1);
  const std::vector<relay::DeadLetterSummary> new_file = setup.Records();
  REQUIRE(new_file.size() == 1);
  CHECK(new_file[0].position == 2);
  struct stat created = {};
  REQUIRE(::stat(setup.dead_letters().c_str(), &created) == 0);
  CHECK((created.st_mode & 0777) == 0600);
}

TEST_CASE(
    "redrive takes over the leftover of a redrive that died and posts each "
    "id once") {
  WebhookReceiver receiver(
      [](const ReceivedRequest&) { return ReceiverReply{.status = 200}; });
  RedriveSetup setup(receiver, /*max_attempts=*/2);
  // A redrive (pid 999999) died after it had taken records 1 and 2 and
  // appended 2 back; since then the relay dead-lettered 3.
  const std::string leftover = setup.dead_letters() + ".redrive.999999";
  AppendDeadLetter(relay::DeadLetterFile(leftover), 1);
  AppendDeadLetter(relay::DeadLetterFile(leftover), 2);
  const relay::DeadLetterFile live(setup.dead_letters());
  AppendDeadLetter(live, 2, /*attempts=*/5);
  AppendDeadLetter(live, 3);
  // A leftover that a running redrive holds is not touched.
  const std::string held = setup.dead_letters() + ".redrive.999998";
  AppendDeadLetter(relay::DeadLetterFile(held), 4);
  const int held_fd = ::open(held.c_str(), O_RDWR | O_CLOEXEC);
  REQUIRE(held_fd >= 0);
  struct flock lock = {};
  lock.l_type = F_WRLCK;
  lock.l_whence = SEEK_SET;
  REQUIRE(::fcntl(held_fd, F_OFD_SETLK, &lock) == 0);

  const ProcessResult listed = setup.Run("dead-letters");
  CHECK(listed.exit_code == 0);
  CHECK(listed.err.find(leftover) != std::string::npos);

  const ProcessResult redriven = setup.Redrive();
  CHECK(redriven.exit_code == 0);
  CHECK(redriven.out.find("redrive: 3 delivered, 0 still dead-lettered, 1 "
                          "duplicate record(s) merged\n") != std::string::npos);
  std::map<uint64_t, int> delivered;
  for (const ReceivedRequest& request : receiver.requests()) {
    CHECK(SignatureVerifies(request, kSecret));
    ++delivered[PositionOf(request.body)];
  }
  CHECK(delivered == std::map<uint64_t, int>{{1, 1}, {2, 1}, {3, 1}});
  CHECK(setup.Records().empty());
  CHECK(setup.Leftovers() == std::vector<std::string>{held});
  ::close(held_fd);
}

// Regression: an append after a crash mid-append (a torn last line without
// its newline) was glued onto the torn line, and the reader skipped the
// glued line as a torn tail, so the new record was lost (and a redrive would
// have removed it for good).
TEST_CASE(
    "dead letter appended after a torn line of a crashed append is kept and "
    "re-driven") {
  std::atomic<int> received{0};
  WebhookReceiver receiver([&](const ReceivedRequest&) {
    ++received;
    return ReceiverReply{.status = 200};
  });
  RedriveSetup setup(receiver, /*max_attempts=*/1);
  const relay::DeadLetterFile file(setup.dead_letters());
  AppendDeadLetter(file, 1);
  std::ofstream(setup.dead_letters(), std::ios::app)
      << R"({"customer":"orsted-dk","sink":"erp-h)";  // The crash.
  AppendDeadLetter(file, 2);
  AppendDeadLetter(file, 3);

  const std::vector<relay::DeadLetterSummary> records = setup.Records();
  REQUIRE(records.size() == 3);
  CHECK(records[0].position == 1);
  CHECK(records[1].position == 2);
  CHECK(records[2].position == 3);
  const ProcessResult redriven = setup.Redrive();
  CHECK(redriven.exit_code == 0);
  CHECK(received == 3);
  CHECK(setup.Records().empty());
}

}  // namespace
}  // namespace evstore::testing
