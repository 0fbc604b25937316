// JSON log lines for log collectors (evstored --log_format=json).
//
// Each log message becomes one line holding one JSON object:
//
//   {"ts":"2026-11-27T14:03:05.123456Z","level":"info","logger":"evstored",
//    "msg":"evstored listening on 127.0.0.1:50051 (...)"}
//
// `ts` is RFC 3339 in UTC with microseconds; `level` is spdlog's level name
// (trace, debug, info, warning, error, critical). The message is escaped so
// that every line is valid JSON whatever it contains: quotes, backslashes,
// newlines and other control characters are escaped, and bytes that are not
// valid UTF-8 become U+FFFD.
#ifndef EVSTORE_SERVER_JSON_LOG_FORMATTER_H_
#define EVSTORE_SERVER_JSON_LOG_FORMATTER_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "spdlog/formatter.h"

namespace evstore::server {

// `text` as the contents of a JSON string (without the quotes).
std::string JsonEscape(std::string_view text);

// One log line (ending with '\n') as described above.
std::string JsonLogLine(absl::Time time, std::string_view level,
                        std::string_view logger, std::string_view message);

// An spdlog formatter that writes JsonLogLine. Stateless; spdlog calls it
// under its sink's lock.
class JsonLogFormatter : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& message,
              spdlog::memory_buf_t& dest) override;
  std::unique_ptr<spdlog::formatter> clone() const override;
};

}  // namespace evstore::server

#endif  // EVSTORE_SERVER_JSON_LOG_FORMATTER_H_
