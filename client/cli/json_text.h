// JSON text helpers shared by the CLI's input parsing and output rendering.
#ifndef EVSTORE_CLIENT_CLI_JSON_TEXT_H_
#define EVSTORE_CLIENT_CLI_JSON_TEXT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace evstore::cli {

// Whether a payload of this media type is JSON, by the contract's rule:
// empty, "application/json" or any "+json" type (parameters after ';' and
// letter case are ignored).
bool IsJsonContentType(absl::string_view content_type);

// Validates `text` as one complete JSON value and returns it with all
// whitespace outside strings removed, so that it fits on one NDJSON line.
// Everything else (number spelling, key order, escapes) is kept byte for
// byte. Fails with INVALID_ARGUMENT (naming the parse error) otherwise.
absl::StatusOr<std::string> MinifyJson(absl::string_view text);

// Appends `value` to `out` as a quoted JSON string. `value` is expected to be
// UTF-8 (protobuf string fields are); bytes are copied, only '"', '\\' and
// control characters are escaped.
void AppendJsonString(std::string& out, absl::string_view value);

}  // namespace evstore::cli

#endif  // EVSTORE_CLIENT_CLI_JSON_TEXT_H_
