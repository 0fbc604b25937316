#include "storage/checkpoint.h"

#include "absl/strings/str_cat.h"
#include "storage/absl_string_view.h"

namespace evstore {
namespace {

bool IsCheckpointNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
         c == ':' || c == '/';
}

}  // namespace

absl::Status ValidateCheckpointName(std::string_view name,
                                    std::string_view field) {
  if (name.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(AsAbsl(field), ": a checkpoint name is required"));
  }
  if (name.size() > kMaxCheckpointNameBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(AsAbsl(field), ": ", name.size(), " characters; at most ",
                     kMaxCheckpointNameBytes));
  }
  for (size_t i = 0; i < name.size(); ++i) {
    if (!IsCheckpointNameChar(name[i])) {
      return absl::InvalidArgumentError(absl::StrCat(
          AsAbsl(field), ": character ", i + 1,
          " is not allowed; a checkpoint name is 1 to 128 characters of "
          "[A-Za-z0-9-_.:/]"));
    }
  }
  return absl::OkStatus();
}

std::string DescribeCheckpoint(const CheckpointId& id) {
  if (id.partition.IsWholeFeed()) return absl::StrCat("\"", id.name, "\"");
  return absl::StrCat("\"", id.name, "\" (partition ", id.partition.index,
                      " of ", id.partition.count, ")");
}

}  // namespace evstore
