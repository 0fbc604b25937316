// Runs the `evstore` CLI as a child process for integration tests, with a
// controlled environment, and parses its NDJSON output.
#ifndef EVSTORE_TESTS_INTEGRATION_CLI_RUNNER_H_
#define EVSTORE_TESTS_INTEGRATION_CLI_RUNNER_H_

#include <fcntl.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/evstored_process.h"

extern char** environ;

namespace evstore::testing {

struct CliRun {
  int exit_code = -1;  // -1: killed after the timeout, or killed by a signal.
  std::string out;
  std::string err;
};

inline std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Runs `evstore args...` with empty stdin. Its environment is this process's
// without any EVSTORE_* variable, plus `environment` ("NAME=value"). Kills
// it after `timeout`.
inline CliRun RunEvstoreCli(
    const std::vector<std::string>& args,
    const std::vector<std::string>& environment = {},
    std::chrono::seconds timeout = std::chrono::seconds(20)) {
  char dir_template[] = "/tmp/evstore-cli-XXXXXX";
  REQUIRE(mkdtemp(dir_template) != nullptr);
  const std::string dir = dir_template;
  const std::string out_path = dir + "/stdout";
  const std::string err_path = dir + "/stderr";
  std::vector<std::string> argv_strings = {EvstoreCliPath()};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::string(*e).rfind("EVSTORE_", 0) != 0) env_strings.emplace_back(*e);
  }
  env_strings.insert(env_strings.end(), environment.begin(), environment.end());
  std::vector<char*> argv;
  for (std::string& a : argv_strings) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (std::string& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);

  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    const int in_fd = open("/dev/null", O_RDONLY);
    const int out_fd =
        open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err_fd =
        open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (in_fd < 0 || out_fd < 0 || err_fd < 0) _exit(126);
    dup2(in_fd, STDIN_FILENO);
    dup2(out_fd, STDOUT_FILENO);
    dup2(err_fd, STDERR_FILENO);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  CliRun run;
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool exited = false;
  while (!exited && std::chrono::steady_clock::now() < deadline) {
    exited = waitpid(pid, &status, WNOHANG) == pid;
    if (!exited) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (!exited) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
  } else if (WIFEXITED(status)) {
    run.exit_code = WEXITSTATUS(status);
  }
  run.out = ReadWholeFile(out_path);
  run.err = ReadWholeFile(err_path);
  std::remove(out_path.c_str());
  std::remove(err_path.c_str());
  rmdir(dir.c_str());
  return run;
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
