// Which listen addresses count as loopback (server/server_config.h): only
// those may serve plaintext without --allow_insecure.
#include <catch2/catch.hpp>
#include <string>

#include "server/server_config.h"

namespace evstore::server {
namespace {

TEST_CASE("loopback listen addresses") {
  for (const std::string address :
       {"127.0.0.1:50051", "127.0.0.1:0", "127.1.2.3:9", "localhost:50051",
        "LocalHost:1", "[::1]:50051", "[0:0:0:0:0:0:0:1]:0",
        "[::ffff:127.0.0.1]:0"}) {
    INFO(address);
    CHECK(IsLoopbackListenAddress(address));
  }
}

TEST_CASE("wildcard and other listen addresses are not loopback") {
  for (const std::string address :
       {"0.0.0.0:50051", "0.0.0.0:0", "[::]:50051", "10.0.0.1:50051",
        "128.0.0.1:1", "192.168.1.127:1", "evstore.example.net:50051",
        "localhost.example.net:1", "127.0.0.1.example.net:1",
        "[::ffff:10.0.0.1]:0", "[::2]:0"}) {
    INFO(address);
    CHECK_FALSE(IsLoopbackListenAddress(address));
  }
}

}  // namespace
}  // namespace evstore::server
