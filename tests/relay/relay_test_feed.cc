#include "tests/relay/relay_test_feed.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

namespace evstore::testing {

std::vector<std::string> AppendInterleaved(const client::Client& client,
                                           uint32_t series, int count) {
  std::vector<std::string> ids;
  for (int i = 0; i < count; ++i) {
    v1::AppendRequest request;
    request.set_customer(kOrsted);
    AddWrite(request, kRelayStreams[i % 3], series, static_cast<uint64_t>(i),
             1);
    REQUIRE(client.Append(request).ok());
    ids.push_back(TestUuid(series, static_cast<uint64_t>(i)));
  }
  return ids;
}

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TMPDIR");
  return absl::StrCat(dir != nullptr ? dir : "/tmp", "/", name, ".",
                      ::getpid());
}

uint64_t CheckpointPosition(const client::Client& client,
                            const std::string& name) {
  v1::GetCheckpointRequest request;
  request.set_customer(kOrsted);
  request.set_name(name);
  absl::StatusOr<v1::GetCheckpointResponse> response =
      client.GetCheckpoint(request);
  return response.ok() ? response->checkpoint().position() : 0;
}

}  // namespace evstore::testing
