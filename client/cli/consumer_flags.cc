#include "client/cli/consumer_flags.h"

#include <cstdint>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace evstore::cli {

absl::StatusOr<v1::Partition> ParsePartition(absl::string_view text) {
  const std::vector<absl::string_view> parts = absl::StrSplit(text, '/');
  std::uint32_t index = 0;
  std::uint32_t count = 0;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &index) ||
      !absl::SimpleAtoi(parts[1], &count) || count == 0 || count > 1024 ||
      index >= count || absl::StartsWith(text, "-")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--partition: '", text,
        "' is not INDEX/COUNT with 0 <= INDEX < COUNT <= 1024 (e.g. 0/4)"));
  }
  v1::Partition partition;
  partition.set_index(index);
  partition.set_count(count);
  return partition;
}

std::string PartitionText(const v1::Partition& partition) {
  if (partition.count() == 0) return "";
  return absl::StrCat(partition.index(), "/", partition.count());
}

absl::StatusOr<TailStart> ParseTailStart(absl::string_view text) {
  TailStart result;
  if (text == "start") {
    result.start = client::SubscriptionStart::Beginning();
  } else if (text == "end") {
    result.start = client::SubscriptionStart::End();
  } else if (absl::ConsumePrefix(&text, "checkpoint:")) {
    if (text.empty()) {
      return absl::InvalidArgumentError(
          "--from: checkpoint: needs a name (checkpoint:NAME)");
    }
    result.checkpoint = std::string(text);
    result.start = client::SubscriptionStart::FromCheckpoint();
  } else {
    std::uint64_t position = 0;
    if (!absl::SimpleAtoi(text, &position) || absl::StartsWith(text, "-") ||
        absl::StartsWith(text, "+")) {
      return absl::InvalidArgumentError(
          absl::StrCat("--from: '", text,
                       "' is not start, end, a position or checkpoint:NAME"));
    }
    result.start =
        client::SubscriptionStart::After(position == 0 ? 0 : position - 1);
  }
  return result;
}

}  // namespace evstore::cli
