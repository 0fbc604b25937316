#include "server/retention_floor.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "storage/absl_string_view.h"

namespace evstore::server {

grpc::Status BelowRetentionFloor(grpc::CallbackServerContext* context,
                                 std::string_view customer,
                                 std::string_view what,
                                 FeedPosition first_available) {
  context->AddTrailingMetadata(kFirstAvailablePositionTrailer,
                               std::to_string(first_available.value()));
  return grpc::Status(
      grpc::StatusCode::OUT_OF_RANGE,
      absl::StrCat(AsAbsl(what), " lies below the oldest retained event of ",
                   AsAbsl(customer),
                   ": retention has dropped it; the first available position "
                   "is ",
                   first_available.value()));
}

}  // namespace evstore::server
