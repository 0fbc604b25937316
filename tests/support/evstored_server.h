// EvstoredServer: one real evstored child process on an ephemeral 127.0.0.1
// port, for tests and test tools. It has no test-framework dependency: every
// failure is an absl::Status, so Catch2 tests (tests/integration) and
// stand-alone drivers (tests/torture) share it.
//
// The data directory belongs to the caller and survives Stop(), Kill() and
// Start(): a restart recovers from whatever the previous process left on disk.
#ifndef EVSTORE_TESTS_SUPPORT_EVSTORED_SERVER_H_
#define EVSTORE_TESTS_SUPPORT_EVSTORED_SERVER_H_

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace evstore::testing {

struct EvstoredServerOptions {
  // The evstored binary to run.
  std::string evstored_path;
  // Passed as --data_dir.
  std::string data_dir;
  // Holds the port file and evstored.log (appended to by every start).
  std::string run_dir;
  // More flags, e.g. "--heartbeat_interval_ms=200"; they come after the
  // defaults (--listen, --data_dir, --port_file, --metrics_address=
  // 127.0.0.1:0, --metrics_port_file), so they may override them.
  std::vector<std::string> extra_flags;
  // More environment variables of the server, as "NAME=value" (e.g. an
  // LD_PRELOAD fault-injection shim); the rest is inherited.
  std::vector<std::string> environment;
  // Passes --auto_create_customers (development mode), so that tests written
  // before customers had to be created keep working. Tests of tenancy turn
  // it off.
  bool auto_create_customers = true;
};

// Thread-compatible: one thread controls the process. Not copyable.
class EvstoredServer {
 public:
  explicit EvstoredServer(EvstoredServerOptions options);
  // Kills the process if it is still running.
  ~EvstoredServer();
  EvstoredServer(const EvstoredServer&) = delete;
  EvstoredServer& operator=(const EvstoredServer&) = delete;

  // Starts evstored on a new ephemeral port and waits until it has written
  // its port file (it accepts calls from then on). Fails with
  // FAILED_PRECONDITION when already running, INTERNAL when the process exits
  // during startup (the message carries its log) and DEADLINE_EXCEEDED when
  // it is not ready within `timeout` (the process is killed then).
  absl::Status Start(absl::Duration timeout = absl::Seconds(30));
  // SIGTERM, then waits for the exit. Returns the waitpid status.
  absl::StatusOr<int> Stop();
  // SIGKILL (a crash), then waits for the exit.
  absl::Status Kill();

  bool running() const { return pid_ > 0; }
  // "127.0.0.1:<port>" of the running (or last) server.
  std::string address() const;
  pid_t pid() const { return pid_; }
  // The port of its Prometheus endpoint (http://127.0.0.1:<port>/metrics);
  // 0 when it has none (extra_flags may pass --metrics_address=).
  int metrics_port() const { return metrics_port_; }
  const EvstoredServerOptions& options() const { return options_; }
  std::string log_path() const;
  // The admin token evstored wrote to <data_dir>/admin.token on its first
  // start ("" before that).
  std::string AdminToken() const;
  // Resident memory of the running server in bytes (from /proc); 0 if
  // unknown.
  size_t RssBytes() const;

 private:
  // Constant after construction.
  const EvstoredServerOptions options_;

  pid_t pid_ = -1;
  int port_ = 0;
  int metrics_port_ = 0;
};

}  // namespace evstore::testing

#endif  // EVSTORE_TESTS_SUPPORT_EVSTORED_SERVER_H_
