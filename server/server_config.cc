#include "server/server_config.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <optional>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "base/flag_names.h"
#include "storage/absl_string_view.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "Address to serve gRPC on, as host:port or [ipv6]:port. Port 0 "
          "picks a free port (see --port_file).");
ABSL_FLAG(std::string, health_listen, "",
          "Optional second address, host:port, serving only the gRPC health "
          "service (grpc.health.v1) in plaintext, for probes that cannot "
          "speak TLS (Kubernetes' native gRPC probes). It carries no data "
          "and needs no token, so it may listen on any address. Empty: "
          "none.");
ABSL_FLAG(std::string, data_dir, "./data",
          "Directory of the event log; created when missing. Only one "
          "evstored may use a directory at a time.");
ABSL_FLAG(std::string, durability, "fsync",
          "When an append is acknowledged: 'fsync' (after the write-ahead "
          "log is fsync'd: survives power loss) or 'buffered' (after it is "
          "handed to the operating system: survives a crash of evstored but "
          "not of the machine; an explicit relaxation).");
ABSL_FLAG(bool, auto_create_customers, false,
          "DEVELOPMENT ONLY: the first append to an unknown customer creates "
          "it. Without it such an append fails with NOT_FOUND and customers "
          "are created with the Admin API (evstore customer create).");
ABSL_FLAG(int64_t, heartbeat_interval_ms, 5000,
          "Idle time in milliseconds after which a subscription gets a "
          "heartbeat, unless it asks for its own interval (100 to 3600000).");
ABSL_FLAG(int64_t, max_event_bytes, int64_t{1} << 20,
          "Most bytes of data of one event.");
ABSL_FLAG(int64_t, max_append_events, 10000,
          "Most events of one append, over all its stream writes.");
ABSL_FLAG(int64_t, max_append_bytes, int64_t{16} << 20,
          "Most bytes of one append: data, types, and metadata keys and "
          "values of all its events.");
ABSL_FLAG(int64_t, max_metadata_entries, 64,
          "Most metadata entries of one event.");
ABSL_FLAG(int64_t, max_metadata_bytes, int64_t{16} << 10,
          "Most bytes of metadata keys and values of one event.");
ABSL_FLAG(int64_t, max_concurrent_streams, 10000,
          "Most concurrent calls (HTTP/2 streams) per client connection; each "
          "open subscription or append session is one.");
ABSL_FLAG(int64_t, reader_threads, 2,
          "Threads for blocking disk reads (Read, GetEvents and subscription "
          "catch-up).");
ABSL_FLAG(int64_t, disk_reserve_bytes, -1,
          "Free space kept in reserve on the data directory's file system: "
          "while less is free, appends fail with RESOURCE_EXHAUSTED before "
          "anything is written, and resume by themselves once space is "
          "freed. -1: 10% of the file system's size, at most 1 GiB; 0: no "
          "check.");
ABSL_FLAG(int64_t, retention_interval_ms, 60'000,
          "How often the customers' retention policies are applied (Admin "
          "SetCustomerRetention; docs/retention.md), in milliseconds. 0: "
          "never.");
ABSL_FLAG(int64_t, segment_events, 65'536,
          "Feed positions per segment, the unit retention drops. Used only "
          "when the data directory is created (later: the stored value). "
          "For tests; keep the default in production.");
ABSL_FLAG(std::string, port_file, "",
          "If set, once serving, the bound port and a newline are written to "
          "this file (atomically: a temporary file is renamed).");
ABSL_FLAG(std::string, metrics_address, "127.0.0.1:9464",
          "host:port of the Prometheus metrics endpoint (HTTP, path "
          "/metrics; port 0 picks a free port, see --metrics_port_file). "
          "Empty: no metrics endpoint. Plain HTTP without authentication: "
          "keep it on loopback or a trusted network.");
ABSL_FLAG(std::string, metrics_port_file, "",
          "If set, once serving, the metrics endpoint's bound port and a "
          "newline are written to this file (atomically). Ignored without a "
          "metrics endpoint.");
ABSL_FLAG(std::string, log_level, "info",
          "Log level: trace, debug, info, warn, error, critical or off.");
ABSL_FLAG(std::string, tls_cert, "",
          "PEM file of the server's certificate, followed by any "
          "intermediate CA certificates. With --tls_key, evstored serves "
          "TLS only (no plaintext).");
ABSL_FLAG(std::string, tls_key, "",
          "PEM file of the unencrypted private key of --tls_cert.");
ABSL_FLAG(std::string, tls_client_ca, "",
          "PEM file of the CA certificate(s) that client certificates must "
          "be signed by: every connection must then present a valid client "
          "certificate (mutual TLS). Needs --tls_cert and --tls_key.");
ABSL_FLAG(absl::Duration, shutdown_timeout, absl::Seconds(30),
          "How long a graceful shutdown (SIGTERM or SIGINT) may take, e.g. "
          "30s or 1m30s: calls still open then are cancelled. Keep it below "
          "the orchestrator's grace period (Kubernetes' "
          "terminationGracePeriodSeconds).");
ABSL_FLAG(std::string, log_format, "text",
          "Log format on stderr: 'text' (human-readable) or 'json' (one JSON "
          "object per line with ts, level, logger and msg, for log "
          "collectors).");
ABSL_FLAG(std::string, restore_from, "",
          "A backup directory (made by `evstore backup`) to copy into "
          "--data_dir before opening it; --data_dir must then be missing or "
          "empty, and evstored refuses to start otherwise. Start once with "
          "it, then without.");
ABSL_FLAG(bool, allow_insecure, false,
          "Serve plaintext (no TLS) on a non-loopback --listen address, "
          "which is refused otherwise: tokens and events then cross the "
          "network unencrypted. Only for a trusted network or behind a "
          "TLS-terminating proxy.");

namespace evstore::server {
namespace {

// Every flag of evstored; each may also be set by EVSTORE_<NAME IN CAPS>.
constexpr absl::string_view kFlagNames[] = {
    "listen",
    "health_listen",
    "data_dir",
    "durability",
    "auto_create_customers",
    "heartbeat_interval_ms",
    "max_event_bytes",
    "max_append_events",
    "max_append_bytes",
    "max_metadata_entries",
    "max_metadata_bytes",
    "max_concurrent_streams",
    "reader_threads",
    "disk_reserve_bytes",
    "retention_interval_ms",
    "segment_events",
    "port_file",
    "metrics_address",
    "metrics_port_file",
    "log_level",
    "tls_cert",
    "tls_key",
    "tls_client_ca",
    "allow_insecure",
    "shutdown_timeout",
    "log_format",
    "restore_from",
};

// Usage flags that absl's parser handles itself (they print and exit). They
// never take the next argument as their value.
constexpr absl::string_view kAbslUsageFlags[] = {
    "help",   "helpfull",  "helpshort", "helppackage",
    "helpon", "helpmatch", "version",   "only_check_args",
};
// absl's flag-file flags, also left to absl's parser.
constexpr absl::string_view kAbslFileFlags[] = {"flagfile", "fromenv",
                                                "tryfromenv", "undefok"};

bool Contains(const auto& names, absl::string_view name) {
  for (absl::string_view candidate : names) {
    if (name == candidate) return true;
  }
  return false;
}

std::string EnvironmentVariableName(absl::string_view flag) {
  return absl::StrCat("EVSTORE_", absl::AsciiStrToUpper(flag));
}

absl::Status SetFlag(absl::string_view name, absl::string_view value,
                     absl::string_view source) {
  absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
  if (flag == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": unknown flag --", name, " (see --help)"));
  }
  std::string error;
  if (!flag->ParseFrom(value, &error)) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": ", error));
  }
  return absl::OkStatus();
}

// The flags whose value came from the environment (and not the command
// line), so that errors can say where a bad value came from.
using EnvironmentFlags = absl::flat_hash_set<std::string>;

absl::Status ApplyEnvironment(EnvironmentFlags* from_environment) {
  for (absl::string_view name : kFlagNames) {
    const std::string variable = EnvironmentVariableName(name);
    const char* value = std::getenv(variable.c_str());
    if (value == nullptr) continue;
    absl::Status status =
        SetFlag(name, value, absl::StrCat("environment variable ", variable));
    if (!status.ok()) return status;
    from_environment->insert(std::string(name));
  }
  return absl::OkStatus();
}

// Checks and applies the command line before absl's parser sees it, because
// absl's parser exits with status 1 on a bad value and evstored exits with 2
// on every configuration error. Usage and flag-file flags are left to absl.
// Appends to `canonical_args` the arguments after argv[0] with every flag
// name spelled with underscores (values untouched), for absl's parser.
absl::Status ApplyCommandLine(int argc, char* argv[],
                              EnvironmentFlags* from_environment,
                              std::vector<std::string>* canonical_args) {
  for (int i = 1; i < argc; ++i) {
    const std::string canonical = CanonicalFlagArgument(argv[i]);
    canonical_args->push_back(canonical);
    absl::string_view arg = canonical;
    if (arg == "--") {
      if (i + 1 < argc) {
        return absl::InvalidArgumentError(
            absl::StrCat("unexpected argument \"", argv[i + 1],
                         "\" (evstored takes only flags)"));
      }
      break;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      return absl::InvalidArgumentError(absl::StrCat(
          "unexpected argument \"", arg, "\" (evstored takes only flags)"));
    }
    arg.remove_prefix(absl::StartsWith(arg, "--") ? 2 : 1);
    absl::string_view name = arg;
    std::optional<absl::string_view> value;
    if (const size_t equals = arg.find('=');
        equals != absl::string_view::npos) {
      name = arg.substr(0, equals);
      value = arg.substr(equals + 1);
    }
    if (Contains(kAbslUsageFlags, name)) continue;
    if (Contains(kAbslFileFlags, name)) {
      if (!value.has_value() && i + 1 < argc) {
        canonical_args->push_back(argv[++i]);  // Its value.
      }
      continue;
    }
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    if (flag == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown flag --", name, " (see --help)"));
    }
    if (!value.has_value()) {
      if (flag->IsOfType<bool>()) {
        value = "true";
      } else if (i + 1 < argc) {
        value = argv[++i];
        canonical_args->push_back(argv[i]);
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat("missing value for --", name));
      }
    }
    absl::Status status =
        SetFlag(name, *value, absl::StrCat("--", name, "=", *value));
    if (!status.ok()) return status;
    from_environment->erase(std::string(name));
  }
  return absl::OkStatus();
}

absl::Status CheckRange(absl::string_view flag, int64_t value, int64_t min,
                        int64_t max) {
  if (value >= min && value <= max) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("--", flag, ": ", value,
                                                 " is out of range; allowed "
                                                 "are ",
                                                 min, " to ", max));
}

std::optional<spdlog::level::level_enum> ParseLogLevel(absl::string_view name) {
  const std::string lower = absl::AsciiStrToLower(name);
  if (lower == "trace") return spdlog::level::trace;
  if (lower == "debug") return spdlog::level::debug;
  if (lower == "info") return spdlog::level::info;
  if (lower == "warn" || lower == "warning") return spdlog::level::warn;
  if (lower == "error") return spdlog::level::err;
  if (lower == "critical") return spdlog::level::critical;
  if (lower == "off") return spdlog::level::off;
  return std::nullopt;
}

bool IsHostChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' ||
         c == '.' || c == '_';
}

bool IsIpv6Char(char c) {
  return absl::ascii_isxdigit(static_cast<unsigned char>(c)) || c == ':' ||
         c == '.';
}

// `status`, naming the environment variable when the value came from there.
absl::Status WithSource(absl::Status status, absl::string_view flag,
                        const EnvironmentFlags& from_environment) {
  if (status.ok() || !from_environment.contains(std::string(flag))) {
    return status;
  }
  return absl::Status(status.code(),
                      absl::StrCat(status.message(), " (set by ",
                                   EnvironmentVariableName(flag), ")"));
}

// Sets the TLS fields of `config` (its listen address is set) and checks
// that they fit together and with the listen address.
absl::Status TlsFromFlags(const EnvironmentFlags& from_environment,
                          ServerConfig* config) {
  config->tls_cert_file = absl::GetFlag(FLAGS_tls_cert);
  config->tls_key_file = absl::GetFlag(FLAGS_tls_key);
  config->tls_client_ca_file = absl::GetFlag(FLAGS_tls_client_ca);
  config->allow_insecure = absl::GetFlag(FLAGS_allow_insecure);
  if (config->tls_cert_file.empty() != config->tls_key_file.empty()) {
    const absl::string_view missing =
        config->tls_cert_file.empty() ? "tls_cert" : "tls_key";
    const absl::string_view given =
        config->tls_cert_file.empty() ? "tls_key" : "tls_cert";
    return WithSource(absl::InvalidArgumentError(absl::StrCat(
                          "--", given, " is set but --", missing,
                          " is not: TLS needs both the certificate and its "
                          "private key")),
                      given, from_environment);
  }
  if (!config->tls_client_ca_file.empty() && !config->UsesTls()) {
    return WithSource(
        absl::InvalidArgumentError(
            "--tls_client_ca needs --tls_cert and --tls_key: client "
            "certificates are checked only over TLS"),
        "tls_client_ca", from_environment);
  }
  if (!config->UsesTls() && !config->allow_insecure &&
      !IsLoopbackListenAddress(config->listen)) {
    return WithSource(
        absl::InvalidArgumentError(absl::StrCat(
            "--listen: \"", config->listen,
            "\" is not a loopback address and TLS is off, so tokens and "
            "events would cross the network unencrypted; serve TLS with "
            "--tls_cert and --tls_key, or pass --allow_insecure to accept "
            "plaintext (e.g. behind a TLS-terminating proxy)")),
        "listen", from_environment);
  }
  return absl::OkStatus();
}

// The flags as a ServerConfig, checking ranges.
absl::StatusOr<ServerConfig> ConfigFromFlags(
    const EnvironmentFlags& from_environment) {
  constexpr int64_t kGiB = int64_t{1} << 30;
  ServerConfig config;

  config.listen = absl::GetFlag(FLAGS_listen);
  absl::Status status = ValidateListenAddress(config.listen);
  if (!status.ok()) return WithSource(status, "listen", from_environment);
  config.health_listen = absl::GetFlag(FLAGS_health_listen);
  if (!config.health_listen.empty()) {
    status = ValidateListenAddress(config.health_listen);
    if (!status.ok()) {
      // The message names --listen: name the flag that was given.
      return WithSource(absl::InvalidArgumentError(absl::StrCat(
                            "--health_listen: ",
                            absl::StripPrefix(status.message(), "--listen: "))),
                        "health_listen", from_environment);
    }
  }

  config.data_dir = absl::GetFlag(FLAGS_data_dir);
  if (config.data_dir.empty()) {
    return WithSource(
        absl::InvalidArgumentError("--data_dir: must not be empty"), "data_dir",
        from_environment);
  }

  const std::string durability = absl::GetFlag(FLAGS_durability);
  if (durability == "fsync") {
    config.durability = Durability::kFsync;
  } else if (durability == "buffered") {
    config.durability = Durability::kBuffered;
  } else {
    return WithSource(absl::InvalidArgumentError(absl::StrCat(
                          "--durability: \"", durability,
                          "\" is not a durability; use fsync or buffered")),
                      "durability", from_environment);
  }

  config.auto_create_customers = absl::GetFlag(FLAGS_auto_create_customers);

  struct Limit {
    absl::string_view flag;
    int64_t value;
    int64_t min;
    int64_t max;
  };
  const Limit limits[] = {
      {"heartbeat_interval_ms", absl::GetFlag(FLAGS_heartbeat_interval_ms),
       kMinHeartbeatIntervalMs, kMaxHeartbeatIntervalMs},
      {"max_event_bytes", absl::GetFlag(FLAGS_max_event_bytes), 1, kGiB},
      {"max_append_events", absl::GetFlag(FLAGS_max_append_events), 1,
       10'000'000},
      // The gRPC receive limit is this plus framing and must fit an int.
      {"max_append_bytes", absl::GetFlag(FLAGS_max_append_bytes), 1, kGiB},
      {"max_metadata_entries", absl::GetFlag(FLAGS_max_metadata_entries), 0,
       1'000'000},
      {"max_metadata_bytes", absl::GetFlag(FLAGS_max_metadata_bytes), 0, kGiB},
      {"max_concurrent_streams", absl::GetFlag(FLAGS_max_concurrent_streams), 1,
       std::numeric_limits<int32_t>::max()},
      {"reader_threads", absl::GetFlag(FLAGS_reader_threads), 1, 256},
      {"disk_reserve_bytes", absl::GetFlag(FLAGS_disk_reserve_bytes), -1,
       std::numeric_limits<int64_t>::max()},
      {"retention_interval_ms", absl::GetFlag(FLAGS_retention_interval_ms), 0,
       int64_t{7} * 24 * 3600 * 1000},
      {"segment_events", absl::GetFlag(FLAGS_segment_events), 1,
       int64_t{1} << 32},
  };
  for (const Limit& limit : limits) {
    status = CheckRange(limit.flag, limit.value, limit.min, limit.max);
    if (!status.ok()) return WithSource(status, limit.flag, from_environment);
  }
  config.heartbeat_interval =
      absl::Milliseconds(absl::GetFlag(FLAGS_heartbeat_interval_ms));
  config.limits.max_event_bytes =
      static_cast<size_t>(absl::GetFlag(FLAGS_max_event_bytes));
  config.limits.max_append_events =
      static_cast<size_t>(absl::GetFlag(FLAGS_max_append_events));
  config.limits.max_append_bytes =
      static_cast<size_t>(absl::GetFlag(FLAGS_max_append_bytes));
  config.limits.max_metadata_entries =
      static_cast<size_t>(absl::GetFlag(FLAGS_max_metadata_entries));
  config.limits.max_metadata_bytes =
      static_cast<size_t>(absl::GetFlag(FLAGS_max_metadata_bytes));
  config.max_concurrent_streams =
      static_cast<int>(absl::GetFlag(FLAGS_max_concurrent_streams));
  config.reader_threads = static_cast<int>(absl::GetFlag(FLAGS_reader_threads));

  if (const int64_t reserve = absl::GetFlag(FLAGS_disk_reserve_bytes);
      reserve >= 0) {
    config.disk_reserve_bytes = static_cast<uint64_t>(reserve);
  }

  config.retention_interval_ms =
      static_cast<uint64_t>(absl::GetFlag(FLAGS_retention_interval_ms));
  config.segment_events =
      static_cast<uint64_t>(absl::GetFlag(FLAGS_segment_events));

  config.port_file = absl::GetFlag(FLAGS_port_file);
  config.metrics_address = absl::GetFlag(FLAGS_metrics_address);
  config.metrics_port_file = absl::GetFlag(FLAGS_metrics_port_file);

  status = TlsFromFlags(from_environment, &config);
  if (!status.ok()) return status;

  const std::string log_level = absl::GetFlag(FLAGS_log_level);
  const std::optional<spdlog::level::level_enum> level =
      ParseLogLevel(log_level);
  if (!level.has_value()) {
    return WithSource(
        absl::InvalidArgumentError(absl::StrCat(
            "--log_level: \"", log_level,
            "\" is not a level; use trace, debug, info, warn, error, "
            "critical or off")),
        "log_level", from_environment);
  }
  config.log_level = *level;

  config.shutdown_timeout = absl::GetFlag(FLAGS_shutdown_timeout);
  if (config.shutdown_timeout < absl::ZeroDuration() ||
      config.shutdown_timeout > absl::Hours(1)) {
    return WithSource(absl::InvalidArgumentError(absl::StrCat(
                          "--shutdown_timeout: ",
                          absl::FormatDuration(config.shutdown_timeout),
                          " is out of range (0s to 1h)")),
                      "shutdown_timeout", from_environment);
  }

  const std::string log_format = absl::GetFlag(FLAGS_log_format);
  if (log_format == "text") {
    config.log_format = LogFormat::kText;
  } else if (log_format == "json") {
    config.log_format = LogFormat::kJson;
  } else {
    return WithSource(absl::InvalidArgumentError(absl::StrCat(
                          "--log_format: \"", log_format,
                          "\" is not a log format; use text or json")),
                      "log_format", from_environment);
  }

  config.restore_from = absl::GetFlag(FLAGS_restore_from);
  return config;
}

constexpr char kUsage[] =
    "evstored: the evstore event store server.\n"
    "\n"
    "Usage: evstored [--flag=value ...]\n"
    "\n"
    "Every flag can also be set with the environment variable\n"
    "EVSTORE_<FLAG IN UPPER CASE> (e.g. EVSTORE_DATA_DIR); the command line\n"
    "wins. Flag names may use dashes for underscores (--tls-cert).\n"
    "SIGINT or SIGTERM shut the server down gracefully.\n"
    "Exit codes: 0 after a shutdown, 1 when the server cannot start, 2 for an\n"
    "invalid configuration.";

// Appends `text` word-wrapped to lines of at most `width` columns, each
// starting with `indent`.
void AppendWrapped(absl::string_view text, absl::string_view indent,
                   size_t width, std::string* out) {
  size_t column = 0;
  for (absl::string_view word : absl::StrSplit(text, ' ', absl::SkipEmpty())) {
    if (column > 0 && column + 1 + word.size() > width) {
      out->append("\n");
      column = 0;
    }
    if (column == 0) {
      absl::StrAppend(out, indent, word);
      column = indent.size() + word.size();
    } else {
      absl::StrAppend(out, " ", word);
      column += 1 + word.size();
    }
  }
  out->append("\n");
}

// --help: every flag of evstored with its variable, default and meaning.
// (absl's own --help exits with status 1 and lists flags by source file.)
std::string HelpText() {
  std::string text = absl::StrCat(kUsage, "\n\nFlags:\n");
  for (absl::string_view name : kFlagNames) {
    const absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    if (flag == nullptr) continue;
    const bool is_string = flag->IsOfType<std::string>();
    const absl::string_view type = is_string                ? "string"
                                   : flag->IsOfType<bool>() ? "bool"
                                   : flag->IsOfType<absl::Duration>()
                                       ? "duration"
                                       : "integer";
    absl::StrAppend(&text, "  --", name, "=<", type, ">  (",
                    EnvironmentVariableName(name), "; default ",
                    is_string ? absl::StrCat("\"", flag->DefaultValue(), "\"")
                              : flag->DefaultValue(),
                    ")\n");
    AppendWrapped(flag->Help(), "      ", 78, &text);
  }
  absl::StrAppend(&text,
                  "\nabsl's --helpfull, --version and --flagfile also work.\n");
  return text;
}

bool WantsHelp(int argc, char* argv[]) {
  for (int i = 1; i < argc; ++i) {
    const absl::string_view arg = argv[i];
    if (arg == "--") return false;
    if (arg == "--help" || arg == "-help" || arg == "-h" ||
        arg == "--helpshort" || arg == "-helpshort") {
      return true;
    }
  }
  return false;
}

void ConfigureUsage() {
  absl::SetProgramUsageMessage(kUsage);
  absl::FlagsUsageConfig usage;
  // Without this, --help lists only flags defined in main's file.
  const auto ours = [](absl::string_view file) {
    return absl::StrContains(file, "server_config.cc");
  };
  usage.contains_help_flags = ours;
  usage.contains_helpshort_flags = ours;
  absl::SetFlagsUsageConfig(usage);
}

}  // namespace

absl::Status ValidateListenAddress(std::string_view address_view) {
  const absl::string_view address = AsAbsl(address_view);
  const auto invalid = [&] {
    return absl::InvalidArgumentError(absl::StrCat(
        "--listen: \"", address,
        "\" is not a valid address; expected host:port, e.g. 127.0.0.1:50051, "
        "0.0.0.0:0 or [::1]:50051"));
  };
  const size_t colon = address.rfind(':');
  if (colon == absl::string_view::npos || colon == 0) return invalid();
  const absl::string_view host = address.substr(0, colon);
  const absl::string_view port = address.substr(colon + 1);

  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return invalid();
    for (char c : host.substr(1, host.size() - 2)) {
      if (!IsIpv6Char(c)) return invalid();
    }
  } else {
    for (char c : host) {
      if (!IsHostChar(c)) return invalid();
    }
  }

  uint32_t port_number = 0;
  if (port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(),
                   [](char c) { return c >= '0' && c <= '9'; }) ||
      !absl::SimpleAtoi(port, &port_number) || port_number > 65535) {
    return invalid();
  }
  return absl::OkStatus();
}

bool IsLoopbackListenAddress(std::string_view address_view) {
  const absl::string_view address = AsAbsl(address_view);
  const size_t colon = address.rfind(':');
  if (colon == absl::string_view::npos) return false;
  absl::string_view host = address.substr(0, colon);
  if (absl::EqualsIgnoreCase(host, "localhost")) return true;
  if (absl::StartsWith(host, "[") && absl::EndsWith(host, "]")) {
    const std::string ipv6(host.substr(1, host.size() - 2));
    in6_addr parsed{};
    if (inet_pton(AF_INET6, ipv6.c_str(), &parsed) != 1) return false;
    if (IN6_IS_ADDR_LOOPBACK(&parsed)) return true;
    // ::ffff:127.x.y.z
    return IN6_IS_ADDR_V4MAPPED(&parsed) && parsed.s6_addr[12] == 127;
  }
  in_addr parsed{};
  if (inet_pton(AF_INET, std::string(host).c_str(), &parsed) != 1) {
    return false;
  }
  return (ntohl(parsed.s_addr) >> 24) == 127;
}

std::string WithPort(std::string_view address_view, int port) {
  const absl::string_view address = AsAbsl(address_view);
  const size_t colon = address.rfind(':');
  return absl::StrCat(address.substr(0, colon), ":", port);
}

std::string_view DurabilityName(Durability durability) {
  switch (durability) {
    case Durability::kFsync:
      return "fsync";
    case Durability::kBuffered:
      return "buffered";
  }
  return "unknown";
}

absl::StatusOr<ServerConfig> LoadServerConfig(int argc, char* argv[]) {
  ConfigureUsage();
  if (WantsHelp(argc, argv)) {
    std::fputs(HelpText().c_str(), stdout);
    std::exit(0);
  }
  EnvironmentFlags from_environment;
  absl::Status status = ApplyEnvironment(&from_environment);
  if (!status.ok()) return status;
  std::vector<std::string> canonical_args = {argv[0]};
  status = ApplyCommandLine(argc, argv, &from_environment, &canonical_args);
  if (!status.ok()) return status;
  // Everything was checked above, so this only handles --help and friends
  // (which exit) and sets the same values again.
  std::vector<char*> canonical_argv;
  canonical_argv.reserve(canonical_args.size());
  for (std::string& arg : canonical_args) canonical_argv.push_back(arg.data());
  absl::ParseCommandLine(static_cast<int>(canonical_argv.size()),
                         canonical_argv.data());
  return ConfigFromFlags(from_environment);
}

std::string EffectiveFlags() {
  std::string flags;
  for (absl::string_view name : kFlagNames) {
    const absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    if (flag == nullptr) continue;
    absl::StrAppend(&flags, flags.empty() ? "" : " ", "--", name, "=",
                    flag->CurrentValue());
  }
  return flags;
}

}  // namespace evstore::server
