// EvstoredProcess: a real evstored, started for a test on an ephemeral
// 127.0.0.1 port with its own data directory, and the client connected to it.
#ifndef EVSTORE_TESTS_INTEGRATION_EVSTORED_PROCESS_H_
#define EVSTORE_TESTS_INTEGRATION_EVSTORED_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "client/evstore_client.h"

namespace evstore::testing {

// Starts evstored (the binary this build produced) in the constructor and
// stops it in the destructor. The data directory survives Restart() and
// Kill()+Start(), and is removed with the object.
class EvstoredProcess {
 public:
  // `extra_flags` are passed to evstored, e.g. "--heartbeat_interval_ms=200".
  explicit EvstoredProcess(std::vector<std::string> extra_flags = {});
  ~EvstoredProcess();
  EvstoredProcess(const EvstoredProcess&) = delete;
  EvstoredProcess& operator=(const EvstoredProcess&) = delete;

  // Starts the server (after Stop or Kill) on a new ephemeral port and waits
  // until it accepts calls. Fails the test if it does not within 30 s.
  void Start();
  // SIGTERM, then waits for exit. Returns the exit status (waitpid form).
  int Stop();
  // SIGKILL (crash), then waits for exit.
  void Kill();
  void Restart() {
    Stop();
    Start();
  }

  // "127.0.0.1:<port>" of the running server.
  std::string address() const;
  pid_t pid() const { return pid_; }
  const std::string& data_dir() const { return data_dir_; }
  // Resident memory of the server in bytes (from /proc).
  size_t RssBytes() const;

  // A new client connected to the running server.
  std::unique_ptr<client::Client> Connect() const;

 private:
  std::string root_;
  std::string data_dir_;
  std::vector<std::string> extra_flags_;
  pid_t pid_ = -1;
  int port_ = 0;
};

// The path of a binary built by this build tree (evstored, evstore).
std::string EvstoredPath();
std::string EvstoreCliPath();
// evstore-stalling-client (tests/integration/stalling_client_main.cc).
std::string StallingClientPath();

}  // namespace evstore::testing

#endif  // EVSTORE_TESTS_INTEGRATION_EVSTORED_PROCESS_H_
