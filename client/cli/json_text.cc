#include "client/cli/json_text.h"

#include <simdjson.h>

#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"

namespace evstore::cli {

bool IsJsonContentType(absl::string_view content_type) {
  absl::string_view media_type = content_type.substr(0, content_type.find(';'));
  media_type = absl::StripAsciiWhitespace(media_type);
  if (media_type.empty()) return true;
  const std::string lower = absl::AsciiStrToLower(media_type);
  return lower == "application/json" || absl::EndsWith(lower, "+json");
}

absl::StatusOr<std::string> MinifyJson(absl::string_view text) {
  // One parser per thread: it keeps its buffers between documents.
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (const simdjson::error_code error =
          parser.parse(text.data(), text.size()).get(root)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid JSON: ", simdjson::error_message(error)));
  }
  // The DOM above would re-spell numbers when serialized; the text minifier
  // only drops whitespace. It may write up to SIMDJSON_PADDING bytes past the
  // result, hence the larger buffer.
  std::string minified(text.size() + simdjson::SIMDJSON_PADDING, '\0');
  std::size_t length = 0;
  if (const simdjson::error_code error =
          simdjson::minify(text.data(), text.size(), minified.data(), length)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid JSON: ", simdjson::error_message(error)));
  }
  minified.resize(length);
  return minified;
}

void AppendJsonString(std::string& out, absl::string_view value) {
  out += '"';
  for (const char c : value) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppendFormat(&out, "\\u%04x", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

}  // namespace evstore::cli
