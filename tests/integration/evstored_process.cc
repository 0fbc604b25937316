#include "tests/integration/evstored_process.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <random>

namespace evstore::testing {

std::string EvstoredPath() { return EVSTORE_EVSTORED_PATH; }
std::string EvstoreCliPath() { return EVSTORE_CLI_PATH; }

EvstoredProcess::EvstoredProcess(std::vector<std::string> extra_flags) {
  std::random_device rd;
  const auto base = std::filesystem::temp_directory_path();
  for (;;) {
    auto candidate = base / ("evstore-it-" + std::to_string(rd()));
    if (std::filesystem::create_directory(candidate)) {
      root_ = candidate.string();
      break;
    }
  }
  server_ = std::make_unique<EvstoredServer>(
      EvstoredServerOptions{.evstored_path = EvstoredPath(),
                            .data_dir = root_ + "/data",
                            .run_dir = root_,
                            .extra_flags = std::move(extra_flags)});
  Start();
}

EvstoredProcess::~EvstoredProcess() {
  server_.reset();  // kills a running server
  std::error_code ec;
  std::filesystem::remove_all(root_, ec);
}

void EvstoredProcess::Start() {
  const absl::Status started = server_->Start();
  if (!started.ok()) FAIL(started.ToString());
}

int EvstoredProcess::Stop() {
  absl::StatusOr<int> status = server_->Stop();
  REQUIRE(status.ok());
  return *status;
}

void EvstoredProcess::Kill() { REQUIRE(server_->Kill().ok()); }

std::unique_ptr<client::Client> EvstoredProcess::Connect() const {
  client::ClientOptions options;
  options.address = address();
  auto client = client::Client::Connect(options);
  REQUIRE(client.ok());
  return std::move(*client);
}

}  // namespace evstore::testing
