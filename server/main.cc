// evstored: the evstore gRPC server.
//
// Exit codes: 0 after a graceful shutdown (SIGINT or SIGTERM); 1 when the
// server cannot start (the event log cannot be opened, the address cannot be
// bound, the port file cannot be written, --restore_from failed); 2 for an
// invalid configuration.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/evstore_server.h"
#include "server/logging.h"
#include "server/open_file_limit.h"
#include "server/server_config.h"
#include "spdlog/spdlog.h"
#include "storage/backup.h"

namespace {

// Set once --log_format=json is in effect.
bool json_logs = false;

// Prints "evstored: <message>" as one line on stderr, or logs it as an error
// when the logs are JSON (so that every line on stderr stays JSON).
void PrintError(absl::string_view message) {
  const std::string line = absl::StrReplaceAll(message, {{"\n", " "}});
  if (json_logs) {
    spdlog::error("{}", line);
    return;
  }
  std::fprintf(stderr, "evstored: %s\n", line.c_str());
}

// Writes "<port>\n" to `path` atomically: readers see no file or all of it.
absl::Status WritePortFile(const std::string& path, int port) {
  const std::string temporary = absl::StrCat(path, ".tmp.", getpid());
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << port << '\n';
    out.close();
    if (!out) {
      std::remove(temporary.c_str());
      return absl::UnavailableError(
          absl::StrCat("cannot write the port file \"", temporary, "\""));
    }
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    const int error = errno;
    std::remove(temporary.c_str());
    return absl::UnavailableError(absl::StrCat("cannot rename \"", temporary,
                                               "\" to \"", path,
                                               "\": ", std::strerror(error)));
  }
  return absl::OkStatus();
}

// SIGINT and SIGTERM write their number to this pipe (the self-pipe trick:
// write() is async-signal-safe), and main waits on its read end. A handler,
// unlike sigwait with blocked signals, also works when a signal is delivered
// to a thread that some library started before main.
int signal_pipe[2] = {-1, -1};

extern "C" void OnShutdownSignal(int signal_number) {
  const int saved_errno = errno;
  const unsigned char byte = static_cast<unsigned char>(signal_number);
  [[maybe_unused]] const ssize_t written = write(signal_pipe[1], &byte, 1);
  errno = saved_errno;
}

sigset_t ShutdownSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  return signals;
}

absl::Status InstallSignalHandlers() {
  if (pipe2(signal_pipe, O_CLOEXEC) != 0) {
    return absl::InternalError(
        absl::StrCat("cannot create a pipe: ", std::strerror(errno)));
  }
  struct sigaction action = {};
  action.sa_handler = OnShutdownSignal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  if (sigaction(SIGINT, &action, nullptr) != 0 ||
      sigaction(SIGTERM, &action, nullptr) != 0) {
    return absl::InternalError(absl::StrCat(
        "cannot install the signal handlers: ", std::strerror(errno)));
  }
  // Threads started from now on (gRPC's, RocksDB's, ours) inherit a mask
  // that blocks both signals, so the kernel delivers them to the main thread
  // once WaitForShutdownSignal unblocks them there (a signal arriving before
  // that stays pending). Without this, a signal could land on a library
  // thread blocked in a raw futex syscall; ThreadSanitizer defers handlers
  // until the thread leaves such a wait, so a TSan build of evstored
  // ignored SIGTERM on an idle server.
  const sigset_t shutdown_signals = ShutdownSignals();
  pthread_sigmask(SIG_BLOCK, &shutdown_signals, nullptr);
  return absl::OkStatus();
}

// Blocks until SIGINT or SIGTERM arrives; returns its number.
int WaitForShutdownSignal() {
  const sigset_t shutdown_signals = ShutdownSignals();
  pthread_sigmask(SIG_UNBLOCK, &shutdown_signals, nullptr);
  unsigned char byte = 0;
  while (true) {
    const ssize_t n = read(signal_pipe[0], &byte, 1);
    if (n == 1) return byte;
    if (n < 0 && errno == EINTR) continue;
    return SIGTERM;  // The pipe broke; shut down rather than spin.
  }
}

}  // namespace

int main(int argc, char* argv[]) {
  using evstore::server::EvstoreServer;
  using evstore::server::ServerConfig;

  // Debian's Abseil tracks lock ordering for deadlock detection on every
  // Mutex (gRPC's included), which costs a global lock per Mutex created and
  // destroyed; a production server does not pay for it (tests still do).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  absl::StatusOr<ServerConfig> config =
      evstore::server::LoadServerConfig(argc, argv);
  if (!config.ok()) {
    PrintError(config.status().message());
    return 2;
  }
  evstore::server::SetUpLogging(config->log_level, config->log_format);
  json_logs = config->log_format == evstore::server::LogFormat::kJson;
  spdlog::info("evstored starting with {}", evstore::server::EffectiveFlags());
  if (config->durability == evstore::Durability::kBuffered) {
    spdlog::warn(
        "durability is 'buffered': appends are acknowledged before they are "
        "fsync'd and may be lost if the machine fails");
  }

  if (config->auto_create_customers) {
    spdlog::warn(
        "DEVELOPMENT MODE --auto_create_customers: any append to an unknown "
        "customer creates it; never use this in production");
  }

  if (!config->UsesTls() &&
      !evstore::server::IsLoopbackListenAddress(config->listen)) {
    // Only reachable with --allow_insecure (LoadServerConfig refuses it
    // otherwise).
    spdlog::warn(
        "INSECURE: --allow_insecure: serving PLAINTEXT on the non-loopback "
        "address {}: access tokens and events cross the network "
        "unencrypted and anyone on the path can read or replay them; use "
        "--tls_cert and --tls_key unless a TLS-terminating proxy on this "
        "host is the only client",
        config->listen);
  }

  // Before the server listens: see open_file_limit.h for why.
  if (absl::StatusOr<evstore::server::OpenFileLimit> files =
          evstore::server::RaiseOpenFileLimit();
      !files.ok()) {
    spdlog::warn("cannot raise the open file limit: {}",
                 files.status().ToString());
  } else if (files->now != files->before) {
    spdlog::info("open file limit raised from {} to {}", files->before,
                 files->now);
  }

  if (!config->restore_from.empty()) {
    absl::StatusOr<evstore::RestoreOutcome> restored =
        evstore::RestoreBackup(config->restore_from, config->data_dir);
    if (!restored.ok()) {
      PrintError(absl::StrCat("--restore_from: ", restored.status().message()));
      return 1;
    }
    if (*restored == evstore::RestoreOutcome::kAlreadyRestored) {
      spdlog::info(
          "data dir {} already holds the restore of backup {} (its {} file): "
          "opening it as it is; --restore_from can be removed",
          config->data_dir, config->restore_from, evstore::kRestoredFromFile);
    } else {
      spdlog::info("restored backup {} into data dir {}", config->restore_from,
                   config->data_dir);
    }
  }

  // Before the server starts, so that a signal during startup is not lost.
  if (absl::Status status = InstallSignalHandlers(); !status.ok()) {
    PrintError(status.message());
    return 1;
  }

  absl::StatusOr<std::unique_ptr<EvstoreServer>> server =
      EvstoreServer::Start(*config);
  if (!server.ok()) {
    PrintError(server.status().message());
    return 1;
  }
  const std::string address =
      evstore::server::WithPort(config->listen, (*server)->port());
  const char* transport = !config->UsesTls() ? "plaintext"
                          : config->tls_client_ca_file.empty()
                              ? "TLS"
                              : "TLS with client certificates (mTLS)";
  spdlog::info("evstored listening on {} ({}, data dir {}, durability {})",
               address, transport, config->data_dir,
               evstore::server::DurabilityName(config->durability));

  if ((*server)->metrics_port() != 0) {
    spdlog::info("serving Prometheus metrics on http://{}/metrics",
                 evstore::server::WithPort(config->metrics_address,
                                           (*server)->metrics_port()));
  }
  // The metrics port first: a port file tells that evstored is ready.
  for (const auto& [path, port] :
       {std::pair{config->metrics_port_file, (*server)->metrics_port()},
        std::pair{config->port_file, (*server)->port()}}) {
    if (path.empty()) continue;
    absl::Status status = WritePortFile(path, port);
    if (!status.ok()) {
      PrintError(status.message());
      server->reset();
      return 1;
    }
  }

  const int signal_number = WaitForShutdownSignal();
  const absl::Time shutdown_started = absl::Now();
  spdlog::info("received {}, shutting down (--shutdown_timeout {})",
               strsignal(signal_number),
               absl::FormatDuration(config->shutdown_timeout));
  (*server)->Shutdown(shutdown_started + config->shutdown_timeout);
  (*server)->Wait();
  server->reset();
  spdlog::info("evstored stopped after {}",
               absl::FormatDuration(absl::Now() - shutdown_started));
  return 0;
}
