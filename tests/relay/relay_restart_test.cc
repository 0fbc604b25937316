// The evstore-relay binary killed (SIGKILL) in the middle of a Kafka run and
// started again, three times: after deduplication by ce_id nothing is
// missing, and the duplicates all lie in a window between the checkpoint at
// a kill and the last event published before it.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/integration/evstored_process.h"
#include "tests/integration/test_events.h"
#include "tests/relay/mock_kafka.h"
#include "tests/relay/relay_process.h"
#include "tests/relay/relay_test_feed.h"

namespace evstore::testing {
namespace {

constexpr char kTopic[] = "orsted-feed";
constexpr int kPartitions = 3;

bool WaitForCheckpoint(const client::Client& client, uint64_t position) {
  const absl::Time deadline = absl::Now() + absl::Seconds(120);
  while (CheckpointPosition(client, "relay:eventhub") < position) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return true;
}

uint64_t Position(const TopicMessage& message) {
  uint64_t position = 0;
  REQUIRE(absl::SimpleAtoi(message.headers.at("evstore_position"), &position));
  return position;
}

TEST_CASE(
    "kafka relay killed mid-run and restarted loses nothing and repeats only "
    "the uncommitted window") {
  EvstoredProcess server;
  const std::unique_ptr<client::Client> client = server.Connect();
  MockKafka kafka(kTopic, kPartitions);

  const std::string token_file = TempPath("relay_restart_token");
  std::ofstream(token_file) << server.AdminToken() << "\n";
  const std::string config_file = TempPath("relay_restart_config.json");
  std::ofstream(config_file)
      << absl::StrCat(R"({"server": {"address": ")", server.address(),
                      R"(", "token_file": ")", token_file, R"("},
  "customers": [{"customer": "orsted-dk", "sinks": [
    {"name": "eventhub", "type": "kafka", "topic": ")",
                      kTopic, R"(", "properties": {"bootstrap.servers": ")",
                      kafka.bootstraps(), R"("}}]}]})");
  const std::string log_file = TempPath("relay_restart.log");

  // A producer appends 5 events per request while the relay runs, until
  // the kills are over.
  std::atomic<int> appended{0};
  // (A failed REQUIRE stops and joins it too.)
  std::jthread producer([&](const std::stop_token& stop) {
    for (int i = 0; !stop.stop_requested(); ++i) {
      v1::AppendRequest request;
      request.set_customer(kOrsted);
      AddWrite(request, kRelayStreams[i % 3], 95, static_cast<uint64_t>(i) * 5,
               5);
      if (client->Append(request).ok()) ++appended;
      absl::SleepFor(absl::Milliseconds(5));
    }
  });

  // Three kills, each a while after a checkpoint threshold so that some
  // published events are not committed yet. Each kill leaves a window
  // (checkpoint at the kill, last position published before it].
  struct Window {
    uint64_t checkpoint = 0;
    uint64_t published = 0;
  };
  std::vector<Window> windows;
  auto relay = std::make_unique<RelayProcess>(config_file, log_file);
  for (int kill = 0; kill < 3; ++kill) {
    // The restarted relay has made progress of its own before each kill.
    REQUIRE(WaitForCheckpoint(
        *client, (windows.empty() ? 0 : windows.back().checkpoint) + 200));
    absl::SleepFor(absl::Milliseconds(300));
    relay->Kill();
    Window& window = windows.emplace_back();
    window.checkpoint = CheckpointPosition(*client, "relay:eventhub");
    // What was published so far (nothing is written to the topic now).
    for (const TopicMessage& message :
         ReadTopic(kafka.bootstraps(), kTopic, kPartitions, 1000000, 2000)) {
      window.published = std::max(window.published, Position(message));
    }
    relay = std::make_unique<RelayProcess>(config_file, log_file);
  }
  absl::SleepFor(absl::Milliseconds(500));
  producer.request_stop();
  producer.join();
  const uint64_t events = static_cast<uint64_t>(appended) * 5;
  REQUIRE(WaitForCheckpoint(*client, events));
  CHECK(relay->Stop() == 0);

  const std::vector<TopicMessage> messages =
      ReadTopic(kafka.bootstraps(), kTopic, kPartitions, events * 2, 3000);
  std::map<uint64_t, int> copies;
  std::set<std::string> ids;
  std::map<std::string, uint64_t> last_revision;  // After deduplication.
  for (const TopicMessage& message : messages) {
    const uint64_t position = Position(message);
    if (copies[position]++ > 0) {
      // A duplicate: published before a kill, not yet committed.
      bool in_a_window = false;
      for (const Window& window : windows) {
        in_a_window = in_a_window || (position > window.checkpoint &&
                                      position <= window.published);
      }
      CHECK(in_a_window);
      continue;
    }
    ids.insert(message.headers.at("ce_id"));
    uint64_t revision = 0;
    REQUIRE(
        absl::SimpleAtoi(message.headers.at("evstore_revision"), &revision));
    CHECK(revision == last_revision[message.key] + 1);
    last_revision[message.key] = revision;
  }
  CHECK(ids.size() == events);  // Nothing missing after deduplication.
  const std::size_t duplicates = messages.size() - ids.size();
  uint64_t window_sizes = 0;
  for (const Window& window : windows) {
    window_sizes += window.published - window.checkpoint;
    std::printf("relay kill: checkpoint %llu, published %llu\n",
                static_cast<unsigned long long>(window.checkpoint),
                static_cast<unsigned long long>(window.published));
  }
  CHECK(duplicates <= window_sizes);
  std::printf("relay restarts: %zu duplicates in %zu messages (windows %llu)\n",
              duplicates, messages.size(),
              static_cast<unsigned long long>(window_sizes));
  std::remove(token_file.c_str());
  std::remove(config_file.c_str());
}

}  // namespace
}  // namespace evstore::testing
