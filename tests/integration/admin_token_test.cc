// The bootstrap admin token of a real evstored: written once to
// <data_dir>/admin.token with mode 0600, its path logged, never the token.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <string>

#include "tests/integration/evstored_process.h"

namespace evstore::testing {
namespace {

using Catch::Matchers::Contains;

size_t Count(const std::string& text, const std::string& part) {
  size_t count = 0;
  for (size_t at = text.find(part); at != std::string::npos;
       at = text.find(part, at + 1)) {
    ++count;
  }
  return count;
}

TEST_CASE("first start writes admin.token once and logs only its path") {
  EvstoredProcess server;
  const std::string token = server.AdminToken();
  REQUIRE(token.size() == 47);
  REQUIRE(token.starts_with("evs_"));
  const std::string path = server.data_dir() + "/admin.token";
  struct stat info {};
  REQUIRE(stat(path.c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);
  CHECK_THAT(server.LogText(), Contains(path));
  CHECK_THAT(server.LogText(), !Contains(token.substr(4)));

  server.Restart();
  CHECK(server.AdminToken() == token);
  CHECK(Count(server.LogText(), "no admin token existed") == 1);
}

}  // namespace
}  // namespace evstore::testing
