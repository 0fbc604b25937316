// A server that comes back on the same address after Kill()+Start(), for
// tests whose clients keep their channel across restarts.
#ifndef EVSTORE_TESTS_INTEGRATION_FIXED_PORT_SERVER_H_
#define EVSTORE_TESTS_INTEGRATION_FIXED_PORT_SERVER_H_

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "absl/strings/str_cat.h"
#include "tests/integration/evstored_process.h"

namespace evstore::testing {

// A TCP port on 127.0.0.1 that was free a moment ago.
inline int FreeLoopbackPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) ==
          0);
  socklen_t length = sizeof address;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) ==
          0);
  ::close(fd);
  return ntohs(address.sin_port);
}

// Options of an EvstoredProcess that listens on one port for its whole life
// (--listen overrides the ephemeral default).
inline EvstoredProcessOptions FixedPortServer() {
  EvstoredProcessOptions options;
  options.extra_flags = {
      absl::StrCat("--listen=127.0.0.1:", FreeLoopbackPort())};
  return options;
}

}  // namespace evstore::testing

#endif  // EVSTORE_TESTS_INTEGRATION_FIXED_PORT_SERVER_H_
