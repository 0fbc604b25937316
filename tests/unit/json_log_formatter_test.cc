#include "server/json_log_formatter.h"

#include <catch2/catch.hpp>
#include <string>

#include "absl/time/time.h"
#include "simdjson.h"

namespace evstore::server {
namespace {

// Parses `line` as JSON and returns its "msg" member.
std::string MessageOf(const std::string& line) {
  INFO("line: " << line);
  simdjson::dom::parser parser;
  simdjson::dom::element object;
  REQUIRE(parser.parse(line).get(object) == simdjson::SUCCESS);
  std::string_view message;
  REQUIRE(object["msg"].get(message) == simdjson::SUCCESS);
  return std::string(message);
}

TEST_CASE("json log lines carry time level logger and message") {
  const std::string line =
      JsonLogLine(absl::FromUnixMicros(1'795'788'185'123'456), "info",
                  "evstored", "listening");
  CHECK(line ==
        "{\"ts\":\"2026-11-27T14:03:05.123456Z\",\"level\":\"info\","
        "\"logger\":\"evstored\",\"msg\":\"listening\"}\n");
}

TEST_CASE("json log messages survive quotes backslashes and control bytes") {
  const std::string text =
      "dir \"a\\b\"\nnext\tline\r\x01\x1f\x7f end \xC3\xA6\xE2\x82\xAC";
  CHECK(MessageOf(JsonLogLine(absl::UnixEpoch(), "warning", "evstored",
                              text)) == text);
  CHECK(JsonEscape("\x01") == "\\u0001");
}

TEST_CASE("json log messages replace invalid utf-8 with the replacement char") {
  // A lone continuation byte, a truncated sequence, an overlong '/', a
  // surrogate and a byte that never occurs in UTF-8.
  const std::string text =
      "a\x80"
      "b\xE2\x82"
      "c\xC0\xAF"
      "d\xED\xA0\x80"
      "e\xFF";
  const std::string message =
      MessageOf(JsonLogLine(absl::UnixEpoch(), "info", "evstored", text));
  const std::string r = "\xEF\xBF\xBD";
  CHECK(message ==
        "a" + r + "b" + r + r + "c" + r + r + "d" + r + r + r + "e" + r);
}

}  // namespace
}  // namespace evstore::server
