// The configuration of evstored: what it serves, where its data lives, and
// the limits it enforces. Every setting is a command-line flag that may also
// come from the environment.
#ifndef EVSTORE_SERVER_SERVER_CONFIG_H_
#define EVSTORE_SERVER_SERVER_CONFIG_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/request_validation.h"
#include "spdlog/common.h"
#include "storage/event_log.h"

namespace evstore::server {

enum class LogFormat {
  kText,  // Human-readable lines.
  kJson,  // One JSON object per line (see server/json_log_formatter.h).
};

struct ServerConfig {
  // host:port to listen on; port 0 picks a free port.
  std::string listen = "127.0.0.1:50051";
  // When set, host:port of a plaintext listener serving only the gRPC
  // health service (for probes that cannot speak TLS).
  std::string health_listen;
  std::string data_dir = "./data";
  Durability durability = Durability::kFsync;
  // Development only: see EventLogOptions::auto_create_customers.
  bool auto_create_customers = false;
  // Idle time before a subscription gets a heartbeat, unless it asks for
  // its own interval.
  absl::Duration heartbeat_interval = absl::Seconds(5);
  RequestLimits limits;
  // HTTP/2 streams per connection (each subscription is one).
  int max_concurrent_streams = 10000;
  // Threads for blocking disk reads.
  int reader_threads = 2;
  // Free disk space kept in reserve; nullopt: the event log's default.
  std::optional<uint64_t> disk_reserve_bytes;
  // EventLogOptions::retention_interval_ms and segment_events.
  uint64_t retention_interval_ms = 60'000;
  uint64_t segment_events = 65'536;
  // When set, the bound port and a newline are written here once serving.
  std::string port_file;
  // host:port of the Prometheus endpoint (/metrics); empty: none.
  std::string metrics_address = "127.0.0.1:9464";
  // When set (and there is an endpoint), its bound port is written here.
  std::string metrics_port_file;
  // TLS (see server/tls_credentials.h): PEM files of the certificate chain
  // and its private key; both empty: plaintext. Both or neither are set.
  std::string tls_cert_file;
  std::string tls_key_file;
  // When set (only with TLS), every client must present a certificate that
  // chains to a CA in this PEM file (mutual TLS).
  std::string tls_client_ca_file;
  // Plaintext was explicitly allowed on a non-loopback listen address.
  bool allow_insecure = false;

  // How long a graceful shutdown may take before open calls are cancelled.
  absl::Duration shutdown_timeout = absl::Seconds(30);
  // A backup directory to copy into data_dir (which must be missing or
  // empty) before opening it; empty: none.
  std::string restore_from;

  bool UsesTls() const { return !tls_cert_file.empty(); }
  spdlog::level::level_enum log_level = spdlog::level::info;
  LogFormat log_format = LogFormat::kText;
};

// Builds the configuration from the flags, each read first from the
// environment variable EVSTORE_<FLAG_NAME_IN_UPPER_CASE> and then from the
// command line, which wins. --help (and absl's other usage flags) print the
// usage and exit the process with status 0.
//
// Flag names may be spelled with dashes instead of underscores
// (--tls-cert is --tls_cert; see base/flag_names.h).
//
// Fails with INVALID_ARGUMENT, naming the flag or variable, for an unknown
// flag, a positional argument, a value that does not parse or is out of
// range, --tls_cert without --tls_key (or the reverse), --tls_client_ca
// without them, or a non-loopback --listen address without TLS unless
// --allow_insecure is given. The TLS files themselves are read and checked
// when the server starts (server/tls_credentials.h). Call once, from main.
absl::StatusOr<ServerConfig> LoadServerConfig(int argc, char* argv[]);

// OK when `address` is "host:port" or "[ipv6]:port" with a port in 0..65535.
absl::Status ValidateListenAddress(std::string_view address);

// Whether the host of a valid listen address is a loopback address:
// "localhost", an IPv4 address in 127.0.0.0/8, or [::1] (any spelling, and
// IPv4-mapped 127.x). Wildcards (0.0.0.0, [::]) and every other host name
// are not: they may be reachable from other machines.
bool IsLoopbackListenAddress(std::string_view address);

// The listen address with its port replaced by `port`.
std::string WithPort(std::string_view address, int port);

std::string_view DurabilityName(Durability durability);

// Every flag of evstored with its effective value (after the environment and
// the command line), as "--name=value" in a fixed order, for the startup
// log. No flag carries a secret (tokens live in the data directory, TLS
// files are paths). Call after LoadServerConfig.
std::string EffectiveFlags();

}  // namespace evstore::server

#endif  // EVSTORE_SERVER_SERVER_CONFIG_H_
