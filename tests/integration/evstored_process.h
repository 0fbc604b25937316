// EvstoredProcess: a real evstored, started for a test on an ephemeral
// 127.0.0.1 port with its own data directory, and the client connected to it.
#ifndef EVSTORE_TESTS_INTEGRATION_EVSTORED_PROCESS_H_
#define EVSTORE_TESTS_INTEGRATION_EVSTORED_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client/evstore_client.h"
#include "tests/support/evstored_server.h"

namespace evstore::testing {

// Starts evstored (the binary this build produced) in the constructor and
// stops it in the destructor. A Catch2 wrapper around EvstoredServer
// (tests/support): failures fail the test. The data directory survives
// Restart() and Kill()+Start(), and is removed with the object.
struct EvstoredProcessOptions {
  // Passed to evstored, e.g. "--heartbeat_interval_ms=200".
  std::vector<std::string> extra_flags;
  // The data directory; empty: a fresh one inside the process's own
  // temporary directory (removed with the object).
  std::string data_dir;
  // Extra environment variables of the server, as "NAME=value".
  std::vector<std::string> environment;
  // Development mode --auto_create_customers (see EvstoredServerOptions):
  // on by default for the tests written before customers were explicit.
  bool auto_create_customers = true;
  // TLS of the server, PEM files passed as --tls_cert, --tls_key and
  // --tls_client_ca when not empty.
  std::string tls_cert_file = {};
  std::string tls_key_file = {};
  std::string tls_client_ca_file = {};
  // TLS of the clients Connect() makes; nullopt: plaintext.
  std::optional<client::ClientTlsOptions> client_tls = std::nullopt;

  // Production mode: customers exist only once created through the Admin
  // API (auto_create_customers off).
  static EvstoredProcessOptions ExplicitCustomers() {
    EvstoredProcessOptions options;
    options.auto_create_customers = false;
    return options;
  }
};

class EvstoredProcess {
 public:
  explicit EvstoredProcess(std::vector<std::string> extra_flags = {});
  explicit EvstoredProcess(EvstoredProcessOptions options);
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
  std::string address() const { return server_->address(); }
  pid_t pid() const { return server_->pid(); }
  // The port of the running server's Prometheus endpoint (0: none).
  int metrics_port() const { return server_->metrics_port(); }
  const std::string& data_dir() const { return server_->options().data_dir; }
  // Resident memory of the server in bytes (from /proc).
  size_t RssBytes() const { return server_->RssBytes(); }
  // Everything the server wrote to stdout and stderr so far, over restarts.
  std::string LogText() const;

  // The bootstrap admin token evstored wrote to <data_dir>/admin.token
  // (empty when there is none).
  std::string AdminToken() const;

  // A new client connected to the running server, with the admin token and
  // the options' client_tls.
  std::unique_ptr<client::Client> Connect() const;
  // The same with other TLS options (nullopt: plaintext).
  std::unique_ptr<client::Client> Connect(
      const std::optional<client::ClientTlsOptions>& tls) const;

 private:
  std::string root_;
  std::optional<client::ClientTlsOptions> client_tls_;
  std::unique_ptr<EvstoredServer> server_;
};

// The path of a binary built by this build tree (evstored, evstore).
std::string EvstoredPath();
std::string EvstoreCliPath();
// evstore-stalling-client (tests/integration/stalling_client_main.cc).
std::string StallingClientPath();
// The fsync fault-injection shim (tests/faults), for LD_PRELOAD.
std::string FsyncFaultsPath();

}  // namespace evstore::testing

#endif  // EVSTORE_TESTS_INTEGRATION_EVSTORED_PROCESS_H_
