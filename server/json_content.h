// JSON payload rules: which content types are JSON, and whether a payload is
// valid JSON.
#ifndef EVSTORE_SERVER_JSON_CONTENT_H_
#define EVSTORE_SERVER_JSON_CONTENT_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace evstore::server {

// The content type an event gets when the producer leaves it empty.
inline constexpr std::string_view kDefaultContentType = "application/json";

// True for "application/json" and every "+json" type (such as
// "application/cloudevents+json"), ignoring case, surrounding spaces and
// parameters after ';' ("application/json; charset=utf-8").
bool IsJsonContentType(std::string_view content_type);

// OK when `data` is one complete, valid JSON document (UTF-8, nesting depth
// at most 1024). Otherwise INVALID_ARGUMENT with a short reason (the caller
// adds the field name). Thread-safe: each thread parses with its own parser,
// which keeps its buffers for reuse (sized by the largest document seen).
absl::Status ValidateJson(const std::string& data);

}  // namespace evstore::server

#endif  // EVSTORE_SERVER_JSON_CONTENT_H_
