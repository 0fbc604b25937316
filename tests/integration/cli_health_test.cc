// `evstore health` against a real evstored: SERVING while it runs (with no
// token), an error once it is gone, and the usage errors of --wait.
#include <catch2/catch.hpp>
#include <string>

#include "tests/integration/cli_runner.h"
#include "tests/integration/evstored_process.h"

namespace evstore::testing {
namespace {

using Catch::Matchers::Contains;

std::string Describe(const CliRun& run) {
  return "exit " + std::to_string(run.exit_code) + "\nstdout: " + run.out +
         "\nstderr: " + run.err;
}

TEST_CASE("evstore health reports SERVING without a token") {
  EvstoredProcess server(EvstoredProcessOptions::ExplicitCustomers());
  const CliRun run = RunEvstoreCli({"--address", server.address(), "health"});
  INFO(Describe(run));
  CHECK(run.exit_code == 0);
  CHECK(run.out == "{\"status\":\"SERVING\"}\n");
}

TEST_CASE("evstore health fails once the server has stopped") {
  EvstoredProcess server(EvstoredProcessOptions::ExplicitCustomers());
  const std::string address = server.address();
  REQUIRE(server.Stop() == 0);

  const CliRun once = RunEvstoreCli({"--address", address, "health"});
  INFO(Describe(once));
  CHECK(once.exit_code == 1);
  CHECK_THAT(once.err, Contains("UNAVAILABLE"));

  // --wait asks again until its time has passed, then reports the error.
  const CliRun waited =
      RunEvstoreCli({"--address", address, "health", "--wait", "1s"});
  INFO(Describe(waited));
  CHECK(waited.exit_code == 1);
  CHECK_THAT(waited.err, Contains("UNAVAILABLE"));
}

TEST_CASE("evstore health rejects a --wait that is not a finite duration") {
  for (const std::string wait : {"soon", "-1s", "inf"}) {
    const CliRun run =
        RunEvstoreCli({"--address", "127.0.0.1:1", "health", "--wait", wait});
    INFO(wait << "\n" << Describe(run));
    CHECK(run.exit_code == 2);
    CHECK_THAT(run.err, Contains("--wait"));
  }
}

}  // namespace
}  // namespace evstore::testing
