#include "server/checkpoint_requests.h"

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "server/proto_conversion.h"
#include "storage/absl_string_view.h"
#include "storage/key_format.h"
#include "storage/names.h"

namespace evstore::server {
namespace {

constexpr uint32_t kDefaultCheckpointPageSize = 100;
constexpr uint32_t kMaxCheckpointPageSize = 1000;

// The first bytes of a decoded page token.
constexpr std::string_view kPageTokenPrefix = "checkpoints:";

absl::Status BadPageToken() {
  return absl::InvalidArgumentError(
      "page_token: not a next_page_token of a previous ListCheckpoints "
      "response");
}

// The id a page token continues after: prefix, name, 0x00, count u32 BE,
// index u32 BE.
absl::StatusOr<std::optional<CheckpointId>> DecodePageToken(
    std::string_view token) {
  if (token.empty()) return std::optional<CheckpointId>();
  std::string decoded;
  if (!absl::WebSafeBase64Unescape(AsAbsl(token), &decoded)) {
    return BadPageToken();
  }
  std::string_view rest(decoded);
  if (!rest.starts_with(kPageTokenPrefix) ||
      rest.size() < kPageTokenPrefix.size() + 1 + 1 + 8) {
    return BadPageToken();
  }
  rest.remove_prefix(kPageTokenPrefix.size());
  const size_t name_end = rest.size() - 9;
  if (rest[name_end] != '\0') return BadPageToken();
  CheckpointId id;
  id.name = std::string(rest.substr(0, name_end));
  id.partition.count = keys::ReadU32(rest.data() + name_end + 1);
  id.partition.index = keys::ReadU32(rest.data() + name_end + 5);
  if (!ValidateCheckpointName(id.name).ok() || !id.partition.IsValid()) {
    return BadPageToken();
  }
  return std::optional<CheckpointId>(std::move(id));
}

absl::StatusOr<CheckpointParams> ValidateNamed(std::string_view customer,
                                               const std::string& name,
                                               bool has_partition,
                                               const v1::Partition& partition) {
  if (absl::Status s = ValidateCustomerName(customer, "customer"); !s.ok()) {
    return s;
  }
  if (absl::Status s = ValidateCheckpointName(name, "name"); !s.ok()) return s;
  CheckpointParams params;
  params.customer = std::string(customer);
  params.id.name = name;
  if (has_partition) {
    absl::StatusOr<Partition> converted = FromProto(partition);
    if (!converted.ok()) return converted.status();
    params.id.partition = *converted;
  }
  return params;
}

}  // namespace

absl::StatusOr<Partition> FromProto(const v1::Partition& partition,
                                    std::string_view field) {
  const uint32_t index = partition.index();
  const uint32_t count = partition.count();
  if (count == 0) {
    if (index != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(AsAbsl(field), ".index: ", index, " needs ",
                       AsAbsl(field), ".count (1 to ", kMaxPartitionCount,
                       "); count 0 with index 0 means the whole feed"));
    }
    return Partition{};
  }
  if (count > kMaxPartitionCount) {
    return absl::InvalidArgumentError(
        absl::StrCat(AsAbsl(field), ".count: ", count, " is more than ",
                     kMaxPartitionCount));
  }
  if (index >= count) {
    return absl::InvalidArgumentError(
        absl::StrCat(AsAbsl(field), ".index: ", index, " is not below ",
                     AsAbsl(field), ".count (", count, ")"));
  }
  return Partition{index, count};
}

absl::StatusOr<CommitCheckpointParams> ValidateCommitCheckpointRequest(
    const v1::CommitCheckpointRequest& request) {
  absl::StatusOr<CheckpointParams> named =
      ValidateNamed(request.customer(), request.name(), request.has_partition(),
                    request.partition());
  if (!named.ok()) return named.status();
  CommitCheckpointParams params;
  params.customer = std::move(named->customer);
  params.commit.id = std::move(named->id);
  params.commit.position = FeedPosition(request.position());
  params.commit.allow_backwards = request.allow_backwards();
  return params;
}

absl::StatusOr<CheckpointParams> ValidateGetCheckpointRequest(
    const v1::GetCheckpointRequest& request) {
  return ValidateNamed(request.customer(), request.name(),
                       request.has_partition(), request.partition());
}

absl::StatusOr<CheckpointParams> ValidateDeleteCheckpointRequest(
    const v1::DeleteCheckpointRequest& request) {
  return ValidateNamed(request.customer(), request.name(),
                       request.has_partition(), request.partition());
}

absl::StatusOr<ListCheckpointsParams> ValidateListCheckpointsRequest(
    const v1::ListCheckpointsRequest& request) {
  if (absl::Status s = ValidateCustomerName(request.customer(), "customer");
      !s.ok()) {
    return s;
  }
  ListCheckpointsParams params;
  params.customer = request.customer();
  if (!request.name_prefix().empty()) {
    if (absl::Status s =
            ValidateCheckpointName(request.name_prefix(), "name_prefix");
        !s.ok()) {
      return s;
    }
    params.name_prefix = request.name_prefix();
  }
  if (request.page_size() > kMaxCheckpointPageSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size: ", request.page_size(),
                     " is more than the maximum ", kMaxCheckpointPageSize));
  }
  params.page_size = request.page_size() == 0 ? kDefaultCheckpointPageSize
                                              : request.page_size();
  absl::StatusOr<std::optional<CheckpointId>> after =
      DecodePageToken(request.page_token());
  if (!after.ok()) return after.status();
  params.after = *std::move(after);
  return params;
}

std::string CheckpointPageToken(const CheckpointId& last) {
  std::string raw(kPageTokenPrefix);
  raw.append(last.name);
  raw.push_back('\0');
  keys::AppendU32(&raw, last.partition.count);
  keys::AppendU32(&raw, last.partition.index);
  return absl::WebSafeBase64Escape(raw);
}

void ToProto(const Checkpoint& checkpoint, v1::Checkpoint* out) {
  out->set_name(checkpoint.id.name);
  if (!checkpoint.id.partition.IsWholeFeed()) {
    out->mutable_partition()->set_index(checkpoint.id.partition.index);
    out->mutable_partition()->set_count(checkpoint.id.partition.count);
  }
  out->set_position(checkpoint.position.value());
  MicrosToTimestamp(checkpoint.committed_at_micros,
                    out->mutable_committed_at());
}

}  // namespace evstore::server
