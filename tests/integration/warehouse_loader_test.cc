// The SDK example client/examples/warehouse_loader against a real evstored:
// each run continues after the checkpoint the previous run committed, also
// when the server was killed and restarted in between, and partitioned runs
// keep their own checkpoints.
#include <catch2/catch.hpp>
#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "tests/integration/evstored_process.h"
#include "tests/integration/run_process.h"
#include "tests/integration/test_events.h"

namespace evstore::testing {
namespace {

constexpr char kCustomer[] = "warehouse";

void AppendEvents(const EvstoredProcess& server, int first, int count) {
  std::unique_ptr<client::Client> client = server.Connect();
  for (int n = first; n < first + count; ++n) {
    v1::AppendRequest request;
    request.set_customer(kCustomer);
    v1::StreamWrite* write = request.add_writes();
    write->set_stream(absl::StrCat("orders/", n % 5));
    v1::ProposedEvent* event = write->add_events();
    event->set_id(TestUuid(0x3a, static_cast<uint64_t>(n)));
    event->set_type("OrderPlaced");
    event->set_data(absl::StrCat("{\"n\":", n, "}"));
    REQUIRE(client->Append(request).ok());
  }
}

// The positions the loader printed ("loaded position=N ...").
std::vector<uint64_t> LoadedPositions(const std::string& out) {
  std::vector<uint64_t> positions;
  for (absl::string_view line : absl::StrSplit(out, '\n')) {
    if (!absl::ConsumePrefix(&line, "loaded position=")) continue;
    uint64_t position = 0;
    REQUIRE(absl::SimpleAtoi(line.substr(0, line.find(' ')), &position));
    positions.push_back(position);
  }
  return positions;
}

ProcessResult RunLoader(const EvstoredProcess& server,
                        std::vector<std::string> extra) {
  std::vector<std::string> argv = {EVSTORE_WAREHOUSE_LOADER_PATH,
                                   "--address",
                                   server.address(),
                                   "--customer",
                                   kCustomer,
                                   "--token",
                                   server.AdminToken()};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return RunProcess(argv, {}, std::chrono::seconds(60));
}

TEST_CASE("warehouse loader example resumes from its checkpoint") {
  EvstoredProcess server;
  AppendEvents(server, 0, 30);

  ProcessResult run = RunLoader(server, {"--max-events", "12"});
  INFO("stdout: " << run.out << "\nstderr: " << run.err);
  REQUIRE(run.exit_code == 0);
  std::vector<uint64_t> positions = LoadedPositions(run.out);
  REQUIRE(positions.size() == 12);
  CHECK(positions.front() == 1);
  CHECK(positions.back() == 12);

  server.Kill();
  server.Start();
  run = RunLoader(server, {"--max-events", "18"});
  INFO("stdout: " << run.out << "\nstderr: " << run.err);
  REQUIRE(run.exit_code == 0);
  positions = LoadedPositions(run.out);
  REQUIRE(positions.size() == 18);
  CHECK(positions.front() == 13);
  CHECK(positions.back() == 30);
}

TEST_CASE("warehouse loader example partitions keep their own checkpoints") {
  EvstoredProcess server;
  AppendEvents(server, 0, 40);  // 8 events per stream, 5 streams.
  std::set<uint64_t> all;
  for (int i = 0; i < 2; ++i) {
    const std::string partition = absl::StrCat(i, "/2");
    // Two runs per partition: 3 events, then the rest of it.
    ProcessResult first =
        RunLoader(server, {"--partition", partition, "--max-events", "3"});
    REQUIRE(first.exit_code == 0);
    ProcessResult rest =
        RunLoader(server, {"--partition", partition, "--until-caught-up"});
    INFO("stdout: " << rest.out << "\nstderr: " << rest.err);
    REQUIRE(rest.exit_code == 0);
    std::vector<uint64_t> positions = LoadedPositions(first.out);
    const std::vector<uint64_t> more = LoadedPositions(rest.out);
    positions.insert(positions.end(), more.begin(), more.end());
    for (uint64_t position : positions) CHECK(all.insert(position).second);
  }
  CHECK(all.size() == 40);
}

}  // namespace
}  // namespace evstore::testing
