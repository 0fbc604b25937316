#include "tests/integration/evstored_process.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <utility>

namespace evstore::testing {

std::string EvstoredPath() { return EVSTORE_EVSTORED_PATH; }
std::string EvstoreCliPath() { return EVSTORE_CLI_PATH; }
std::string StallingClientPath() { return EVSTORE_STALLING_CLIENT_PATH; }
std::string FsyncFaultsPath() { return EVSTORE_FSYNC_FAULTS_PATH; }

EvstoredProcess::EvstoredProcess(std::vector<std::string> extra_flags)
    : EvstoredProcess(EvstoredProcessOptions{std::move(extra_flags), {}, {}}) {}

EvstoredProcess::EvstoredProcess(EvstoredProcessOptions options) {
  std::random_device rd;
  const auto base = std::filesystem::temp_directory_path();
  for (;;) {
    auto candidate = base / ("evstore-it-" + std::to_string(rd()));
    if (std::filesystem::create_directory(candidate)) {
      root_ = candidate.string();
      break;
    }
  }
  EvstoredServerOptions server_options;
  server_options.evstored_path = EvstoredPath();
  server_options.data_dir =
      options.data_dir.empty() ? root_ + "/data" : options.data_dir;
  server_options.run_dir = root_;
  server_options.extra_flags = std::move(options.extra_flags);
  const std::pair<const char*, const std::string*> tls_flags[] = {
      {"--tls_cert=", &options.tls_cert_file},
      {"--tls_key=", &options.tls_key_file},
      {"--tls_client_ca=", &options.tls_client_ca_file}};
  for (const auto& [flag, path] : tls_flags) {
    if (!path->empty()) server_options.extra_flags.push_back(flag + *path);
  }
  client_tls_ = std::move(options.client_tls);
  server_options.environment = std::move(options.environment);
  server_options.auto_create_customers = options.auto_create_customers;
  server_ = std::make_unique<EvstoredServer>(std::move(server_options));
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

std::string EvstoredProcess::LogText() const {
  std::ifstream log(server_->log_path());
  std::stringstream text;
  text << log.rdbuf();
  return text.str();
}

std::string EvstoredProcess::AdminToken() const {
  return server_->AdminToken();
}

std::unique_ptr<client::Client> EvstoredProcess::Connect() const {
  return Connect(client_tls_);
}

std::unique_ptr<client::Client> EvstoredProcess::Connect(
    const std::optional<client::ClientTlsOptions>& tls) const {
  client::ClientOptions options;
  options.address = address();
  options.token = AdminToken();
  options.tls = tls;
  auto client = client::Client::Connect(options);
  REQUIRE(client.ok());
  return std::move(*client);
}

}  // namespace evstore::testing
