#include "client/cli/checkpoint_json.h"

#include "absl/strings/str_cat.h"
#include "client/cli/consumer_flags.h"
#include "client/cli/json_object.h"

namespace evstore::cli {

std::string CheckpointToJson(const v1::Checkpoint& checkpoint) {
  JsonObject json;
  json.String("name", checkpoint.name())
      .String("partition", PartitionText(checkpoint.partition()))
      .Number("position", checkpoint.position());
  if (checkpoint.has_committed_at()) {
    json.String("committedAt", TimestampText(checkpoint.committed_at()));
  }
  return std::move(json).Finish();
}

std::vector<std::string> CheckpointTableHeader() {
  return {"NAME", "PARTITION", "POSITION", "COMMITTED_AT"};
}

std::vector<std::string> CheckpointTableRow(const v1::Checkpoint& checkpoint) {
  const std::string partition = PartitionText(checkpoint.partition());
  return {checkpoint.name(), partition.empty() ? "-" : partition,
          absl::StrCat(checkpoint.position()),
          checkpoint.has_committed_at()
              ? TimestampText(checkpoint.committed_at())
              : "-"};
}

}  // namespace evstore::cli
