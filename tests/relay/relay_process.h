// RelayProcess: the evstore-relay binary of this build, started for a test
// with a configuration file, stopped (SIGTERM) or killed (SIGKILL).
#ifndef EVSTORE_TESTS_RELAY_RELAY_PROCESS_H_
#define EVSTORE_TESTS_RELAY_RELAY_PROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

namespace evstore::testing {

class RelayProcess {
 public:
  // Starts `evstore-relay --config=<config_path>` with this process's
  // environment plus `environment` ("NAME=value"). Output goes to
  // `log_path` (appended). Fails the test when it cannot start.
  RelayProcess(const std::string& config_path, const std::string& log_path,
               std::vector<std::string> environment = {});
  // Kills the process if it still runs.
  ~RelayProcess();
  RelayProcess(const RelayProcess&) = delete;
  RelayProcess& operator=(const RelayProcess&) = delete;

  // SIGTERM and wait; returns the exit code (-1 when killed by a signal).
  int Stop();
  // SIGKILL and wait (a crash).
  void Kill();
  bool running() const { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
};

// The path of the evstore-relay binary of this build.
std::string RelayPath();

}  // namespace evstore::testing

#endif  // EVSTORE_TESTS_RELAY_RELAY_PROCESS_H_
