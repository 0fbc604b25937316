// JsonObject: builds one single-line JSON object for the CLI's NDJSON
// output; members are appended in call order.
#ifndef EVSTORE_CLIENT_CLI_JSON_OBJECT_H_
#define EVSTORE_CLIENT_CLI_JSON_OBJECT_H_

#include <google/protobuf/timestamp.pb.h>
#include <google/protobuf/util/time_util.h>

#include <cstdint>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "client/cli/json_text.h"

namespace evstore::cli {

class JsonObject {
 public:
  JsonObject() : text_("{") {}

  JsonObject& String(absl::string_view key, absl::string_view value) {
    Key(key);
    AppendJsonString(text_, value);
    return *this;
  }
  JsonObject& Number(absl::string_view key, std::uint64_t value) {
    Key(key);
    absl::StrAppend(&text_, value);
    return *this;
  }
  JsonObject& Bool(absl::string_view key, bool value) {
    Key(key);
    text_ += value ? "true" : "false";
    return *this;
  }
  // `json` must be one valid, single-line JSON value.
  JsonObject& Raw(absl::string_view key, absl::string_view json) {
    Key(key);
    absl::StrAppend(&text_, json);
    return *this;
  }
  std::string Finish() && {
    text_ += '}';
    return std::move(text_);
  }

 private:
  void Key(absl::string_view key) {
    if (text_.size() > 1) text_ += ',';
    AppendJsonString(text_, key);
    text_ += ':';
  }

  std::string text_;
};

// RFC 3339, e.g. "2026-11-27T05:00:00.123456Z".
inline std::string TimestampText(const google::protobuf::Timestamp& timestamp) {
  return google::protobuf::util::TimeUtil::ToString(timestamp);
}

}  // namespace evstore::cli

#endif  // EVSTORE_CLIENT_CLI_JSON_OBJECT_H_
