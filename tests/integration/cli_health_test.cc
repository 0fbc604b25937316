// `evstore health` against a real evstored: SERVING while it runs (with no
// token), an error once it is gone, and the usage errors of --wait; and
// evstored's --health_listen, the plaintext listener that serves the health
// service and nothing else.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

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

// A 127.0.0.1 port that was free a moment ago.
int FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  const bool bound =
      bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
  close(fd);
  REQUIRE(bound);
  return ntohs(address.sin_port);
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
  CHECK(once.exit_code == 5);
  CHECK_THAT(once.err, Contains("UNAVAILABLE"));

  // --wait asks again until its time has passed, then reports the error.
  const CliRun waited =
      RunEvstoreCli({"--address", address, "health", "--wait", "1s"});
  INFO(Describe(waited));
  CHECK(waited.exit_code == 5);
  CHECK_THAT(waited.err, Contains("UNAVAILABLE"));
}

TEST_CASE("evstore health rejects a --wait that is not a finite duration") {
  for (const std::string wait : {"soon", "-1s", "inf"}) {
    const CliRun run =
        RunEvstoreCli({"--address", "127.0.0.1:1", "health", "--wait=" + wait});
    INFO(wait << "\n" << Describe(run));
    CHECK(run.exit_code == 2);
    CHECK_THAT(run.err, Contains("--wait"));
  }
}

TEST_CASE(
    "evstored --health_listen serves the health service and nothing else") {
  const std::string health_address =
      "127.0.0.1:" + std::to_string(FreeLoopbackPort());
  EvstoredProcessOptions options = EvstoredProcessOptions::ExplicitCustomers();
  options.extra_flags = {"--health_listen=" + health_address};
  EvstoredProcess server(options);

  const CliRun health = RunEvstoreCli({"--address", health_address, "health"});
  INFO(Describe(health));
  CHECK(health.exit_code == 0);
  CHECK(health.out == "{\"status\":\"SERVING\"}\n");

  // No data on the plaintext port, whatever the token.
  const CliRun read =
      RunEvstoreCli({"--address", health_address, "--customer", "orsted-dk",
                     "--token", "evs_not_checked_here", "read"});
  INFO(Describe(read));
  CHECK(read.exit_code == 1);
  CHECK_THAT(read.err, Contains("UNIMPLEMENTED"));

  REQUIRE(server.Stop() == 0);
  const CliRun after = RunEvstoreCli({"--address", health_address, "health"});
  INFO(Describe(after));
  CHECK(after.exit_code == 5);
}

}  // namespace
}  // namespace evstore::testing
