#include "server/json_content.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "simdjson.h"
#include "storage/absl_string_view.h"

namespace evstore::server {

bool IsJsonContentType(std::string_view content_type) {
  absl::string_view type = AsAbsl(content_type);
  const size_t semicolon = type.find(';');
  if (semicolon != absl::string_view::npos) type = type.substr(0, semicolon);
  type = absl::StripAsciiWhitespace(type);
  return absl::EqualsIgnoreCase(type, "application/json") ||
         absl::EndsWithIgnoreCase(type, "+json");
}

absl::Status ValidateJson(const std::string& data) {
  // The DOM parser validates the whole document (the on-demand API would only
  // check what is visited). parse(std::string) uses the string's spare
  // capacity as simdjson's padding when there is enough, and copies
  // otherwise.
  thread_local simdjson::dom::parser parser;
  const simdjson::error_code error = parser.parse(data).error();
  if (error == simdjson::SUCCESS) return absl::OkStatus();
  return absl::InvalidArgumentError(simdjson::error_message(error));
}

}  // namespace evstore::server
