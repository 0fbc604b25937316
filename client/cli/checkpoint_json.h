// How `evstore checkpoint` prints checkpoints: one JSON object per line, or
// a table row (see output_format.h). Example:
//   {"name":"warehouse-loader","partition":"0/4","position":41230,
//    "committedAt":"2026-11-27T05:00:00.123456Z"}
// `partition` is "" for a checkpoint of the whole feed.
#ifndef EVSTORE_CLIENT_CLI_CHECKPOINT_JSON_H_
#define EVSTORE_CLIENT_CLI_CHECKPOINT_JSON_H_

#include <string>
#include <vector>

#include "evstore/v1/evstore.pb.h"

namespace evstore::cli {

std::string CheckpointToJson(const v1::Checkpoint& checkpoint);

// The header and one row of the table form.
std::vector<std::string> CheckpointTableHeader();
std::vector<std::string> CheckpointTableRow(const v1::Checkpoint& checkpoint);

}  // namespace evstore::cli

#endif  // EVSTORE_CLIENT_CLI_CHECKPOINT_JSON_H_
