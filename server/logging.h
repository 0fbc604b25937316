// The logging of evstored: spdlog's default logger "evstored" on stderr.
#ifndef EVSTORE_SERVER_LOGGING_H_
#define EVSTORE_SERVER_LOGGING_H_

#include "server/server_config.h"
#include "spdlog/common.h"

namespace evstore::server {

// Makes the default spdlog logger write to stderr at `level`: human-readable
// lines for LogFormat::kText, JSON lines (server/json_log_formatter.h) for
// kJson. With kJson, gRPC's own log messages go through the same logger, so
// that every line on stderr is JSON. Call once, from main, before the first
// log message and before gRPC starts threads.
void SetUpLogging(spdlog::level::level_enum level, LogFormat format);

}  // namespace evstore::server

#endif  // EVSTORE_SERVER_LOGGING_H_
