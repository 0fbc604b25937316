#include "server/logging.h"

#include <memory>
#include <utility>

#include "grpc/support/log.h"
#include "server/json_log_formatter.h"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/sinks/stdout_sinks.h"
#include "spdlog/spdlog.h"

namespace evstore::server {
namespace {

spdlog::level::level_enum LevelOf(gpr_log_severity severity) {
  switch (severity) {
    case GPR_LOG_SEVERITY_DEBUG:
      return spdlog::level::debug;
    case GPR_LOG_SEVERITY_INFO:
      return spdlog::level::info;
    case GPR_LOG_SEVERITY_ERROR:
      return spdlog::level::err;
  }
  return spdlog::level::err;
}

// gRPC calls this from any of its threads, instead of printing itself.
void LogGrpcMessage(gpr_log_func_args* args) {
  spdlog::log(LevelOf(args->severity), "grpc: {} ({}:{})", args->message,
              args->file, args->line);
}

}  // namespace

void SetUpLogging(spdlog::level::level_enum level, LogFormat format) {
  std::shared_ptr<spdlog::logger> logger;
  if (format == LogFormat::kJson) {
    logger = spdlog::stderr_logger_mt("evstored");
    logger->set_formatter(std::make_unique<JsonLogFormatter>());
  } else {
    logger = spdlog::stderr_color_mt("evstored");
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %v");
  }
  logger->set_level(level);
  spdlog::set_default_logger(std::move(logger));
  if (format == LogFormat::kJson) gpr_set_log_function(LogGrpcMessage);
}

}  // namespace evstore::server
