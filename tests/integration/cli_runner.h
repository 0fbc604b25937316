// Runs the `evstore` CLI as a child process for integration tests, with a
// controlled environment, and parses its NDJSON output.
#ifndef EVSTORE_TESTS_INTEGRATION_CLI_RUNNER_H_
#define EVSTORE_TESTS_INTEGRATION_CLI_RUNNER_H_

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <sstream>
#include <string>
#include <vector>

#include "tests/integration/evstored_process.h"
#include "tests/integration/run_process.h"

namespace evstore::testing {

using CliRun = ProcessResult;

// Runs `evstore args...` with empty stdin. Its environment is this process's
// without any EVSTORE_* variable, plus `environment` ("NAME=value"). Kills
// it after `timeout`.
inline CliRun RunEvstoreCli(
    const std::vector<std::string>& args,
    const std::vector<std::string>& environment = {},
    std::chrono::seconds timeout = std::chrono::seconds(20)) {
  std::vector<std::string> argv = {EvstoreCliPath()};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProcess(argv, environment, timeout);
}

// The non-empty lines of `text`.
inline std::vector<std::string> NonEmptyLines(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

// Each line of `text` as a JSON object; fails the test for any other line.
inline std::vector<google::protobuf::Struct> JsonLines(
    const std::string& text) {
  std::vector<google::protobuf::Struct> objects;
  for (const std::string& line : NonEmptyLines(text)) {
    google::protobuf::Struct object;
    const auto status =
        google::protobuf::util::JsonStringToMessage(line, &object);
    INFO("line: " << line << "\nparse status: " << status.ToString());
    REQUIRE(status.ok());
    objects.push_back(std::move(object));
  }
  return objects;
}

inline const google::protobuf::Value& JsonField(
    const google::protobuf::Struct& object, const std::string& name) {
  const auto it = object.fields().find(name);
  INFO("missing field " << name);
  REQUIRE(it != object.fields().end());
  return it->second;
}

}  // namespace evstore::testing

#endif  // EVSTORE_TESTS_INTEGRATION_CLI_RUNNER_H_
