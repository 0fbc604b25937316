#include "tests/integration/evstored_process.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

namespace evstore::testing {

std::string EvstoredPath() { return EVSTORE_EVSTORED_PATH; }
std::string EvstoreCliPath() { return EVSTORE_CLI_PATH; }
std::string StallingClientPath() { return EVSTORE_STALLING_CLIENT_PATH; }

EvstoredProcess::EvstoredProcess(std::vector<std::string> extra_flags)
    : extra_flags_(std::move(extra_flags)) {
  std::random_device rd;
  const auto base = std::filesystem::temp_directory_path();
  for (;;) {
    auto candidate = base / ("evstore-it-" + std::to_string(rd()));
    if (std::filesystem::create_directory(candidate)) {
      root_ = candidate.string();
      break;
    }
  }
  data_dir_ = root_ + "/data";
  Start();
}

EvstoredProcess::~EvstoredProcess() {
  if (pid_ > 0) Kill();
  std::error_code ec;
  std::filesystem::remove_all(root_, ec);
}

void EvstoredProcess::Start() {
  REQUIRE(pid_ <= 0);
  const std::string port_file = root_ + "/port";
  std::filesystem::remove(port_file);
  std::vector<std::string> args = {EvstoredPath(), "--listen=127.0.0.1:0",
                                   "--data_dir=" + data_dir_,
                                   "--port_file=" + port_file};
  args.insert(args.end(), extra_flags_.begin(), extra_flags_.end());
  const std::string log_path = root_ + "/evstored.log";
  pid_ = fork();
  REQUIRE(pid_ >= 0);
  if (pid_ == 0) {
    FILE* log = fopen(log_path.c_str(), "a");
    if (log != nullptr) {
      dup2(fileno(log), STDOUT_FILENO);
      dup2(fileno(log), STDERR_FILENO);
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(port_file);
    int port = 0;
    if (in >> port && port > 0) {
      port_ = port;
      return;
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      std::ifstream log(log_path);
      std::stringstream text;
      text << log.rdbuf();
      FAIL("evstored exited during startup: " << text.str());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  FAIL("evstored did not write its port file within 30 s");
}

int EvstoredProcess::Stop() {
  REQUIRE(pid_ > 0);
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return status;
}

void EvstoredProcess::Kill() {
  REQUIRE(pid_ > 0);
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::string EvstoredProcess::address() const {
  return "127.0.0.1:" + std::to_string(port_);
}

size_t EvstoredProcess::RssBytes() const {
  std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      return std::stoull(line.substr(6)) * 1024;  // reported in kB
    }
  }
  return 0;
}

std::unique_ptr<client::Client> EvstoredProcess::Connect() const {
  client::ClientOptions options;
  options.address = address();
  auto client = client::Client::Connect(options);
  REQUIRE(client.ok());
  return std::move(*client);
}

}  // namespace evstore::testing
