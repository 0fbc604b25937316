// Flag values shared by the consuming commands (tail, checkpoint, export):
// partitions ("i/n") and start points ("start", "end", "N",
// "checkpoint:NAME").
#ifndef EVSTORE_CLIENT_CLI_CONSUMER_FLAGS_H_
#define EVSTORE_CLIENT_CLI_CONSUMER_FLAGS_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/resuming_subscription.h"
#include "evstore/v1/evstore.pb.h"

namespace evstore::cli {

// "i/n" with 0 <= i < n <= 1024 (see Partition in evstore.proto).
absl::StatusOr<v1::Partition> ParsePartition(absl::string_view text);

// "i/n", or "" for a checkpoint of the whole feed (count 0).
std::string PartitionText(const v1::Partition& partition);

// A --from value of `tail`: where to start, and the checkpoint name of a
// "checkpoint:NAME" start (empty otherwise). A position N is inclusive, as
// in `read --from N`.
struct TailStart {
  client::SubscriptionStart start;
  std::string checkpoint;
};
absl::StatusOr<TailStart> ParseTailStart(absl::string_view text);

}  // namespace evstore::cli

#endif  // EVSTORE_CLIENT_CLI_CONSUMER_FLAGS_H_
