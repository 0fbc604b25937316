// --log_format=json: every line evstored writes to stderr is one JSON object
// with ts, level and msg, including the effective configuration it logs at
// startup (which never carries a token).
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "simdjson.h"
#include "tests/integration/evstored_process.h"
#include "tests/integration/test_events.h"

namespace evstore::testing {
namespace {

// A directory removed with the object.
class TemporaryDirectory {
 public:
  TemporaryDirectory() {
    char path[] = "/tmp/evstore-log-format-XXXXXX";
    REQUIRE(mkdtemp(path) != nullptr);
    path_ = path;
  }
  ~TemporaryDirectory() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST_CASE("json logs are one JSON object per line and escape what they log") {
  TemporaryDirectory root;
  EvstoredProcessOptions options;
  // A data directory whose name needs escaping in JSON: the startup lines
  // that name it must still parse.
  options.data_dir = root.path() + "/data \"quoted\" back\\slash";
  options.extra_flags = {"--log_format=json", "--shutdown_timeout=7s"};
  EvstoredProcess server(options);
  {
    auto client = server.Connect();
    MustAppend(*client, SingleWrite(kOrsted, kNominations, 1, 1, 1));
  }
  const std::string token = server.AdminToken();
  REQUIRE_FALSE(token.empty());
  REQUIRE(server.Stop() == 0);

  const std::string log = server.LogText();
  INFO("evstored log:\n" << log);
  std::istringstream lines(log);
  std::string line;
  simdjson::dom::parser parser;
  std::vector<std::string> messages;
  while (std::getline(lines, line)) {
    INFO("line: " << line);
    simdjson::dom::element object;
    REQUIRE(parser.parse(line).get(object) == simdjson::SUCCESS);
    std::string_view ts;
    std::string_view level;
    std::string_view message;
    REQUIRE(object["ts"].get(ts) == simdjson::SUCCESS);
    REQUIRE(object["level"].get(level) == simdjson::SUCCESS);
    REQUIRE(object["msg"].get(message) == simdjson::SUCCESS);
    CHECK(ts.size() == std::string_view("2026-11-27T14:03:05.123456Z").size());
    messages.emplace_back(message);
  }
  REQUIRE(messages.size() >= 3);

  // The effective configuration, every flag with its value, unescaped back
  // to the original text.
  std::string configuration;
  for (const std::string& message : messages) {
    if (message.rfind("evstored starting with ", 0) == 0) {
      configuration = message;
    }
  }
  REQUIRE_FALSE(configuration.empty());
  using Catch::Matchers::Contains;
  CHECK_THAT(configuration, Contains("--data_dir=" + options.data_dir));
  CHECK_THAT(configuration, Contains("--log_format=json"));
  CHECK_THAT(configuration, Contains("--shutdown_timeout=7s"));
  CHECK_THAT(configuration, Contains("--durability=fsync"));
  CHECK_THAT(configuration, Contains("--tls_key="));
  // No secret: the admin token evstored created is nowhere in the log.
  CHECK(log.find(token) == std::string::npos);
}

}  // namespace
}  // namespace evstore::testing
