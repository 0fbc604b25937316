// RunProcess: runs a program to its end (or a timeout) and captures its
// exit code and output, for tests of command-line behaviour.
#ifndef EVSTORE_TESTS_INTEGRATION_RUN_PROCESS_H_
#define EVSTORE_TESTS_INTEGRATION_RUN_PROCESS_H_

#include <chrono>
#include <string>
#include <vector>

namespace evstore::testing {

struct ProcessResult {
  // The exit status; -1 when the process was killed (by a signal, or after
  // the timeout).
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `argv` (argv[0] is the program's path) with `input` on stdin and
// this process's environment minus every EVSTORE_* variable, plus
// `environment` ("NAME=value"). Kills it with SIGKILL after `timeout`.
// Fails the test when the process cannot be started.
ProcessResult RunProcess(
    const std::vector<std::string>& argv,
    const std::vector<std::string>& environment = {},
    std::chrono::seconds timeout = std::chrono::seconds(30),
    const std::string& input = "");

}  // namespace evstore::testing

#endif  // EVSTORE_TESTS_INTEGRATION_RUN_PROCESS_H_
