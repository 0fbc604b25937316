#include "tests/support/evstored_server.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"

namespace evstore::testing {
namespace {

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

EvstoredServer::EvstoredServer(EvstoredServerOptions options)
    : options_(std::move(options)) {}

EvstoredServer::~EvstoredServer() {
  if (running()) {
    // Nothing to report to from a destructor; the process is gone either way.
    (void)Kill();
  }
}

std::string EvstoredServer::log_path() const {
  return options_.run_dir + "/evstored.log";
}

absl::Status EvstoredServer::Start(absl::Duration timeout) {
  if (running()) {
    return absl::FailedPreconditionError("evstored is already running");
  }
  const std::string port_file = options_.run_dir + "/port";
  const std::string metrics_port_file = options_.run_dir + "/metrics_port";
  std::error_code ignored;
  std::filesystem::remove(port_file, ignored);
  std::filesystem::remove(metrics_port_file, ignored);
  metrics_port_ = 0;
  // The metrics endpoint on a free port too: several servers run at once,
  // and the default 127.0.0.1:9464 may be taken.
  std::vector<std::string> args = {options_.evstored_path,
                                   "--listen=127.0.0.1:0",
                                   "--data_dir=" + options_.data_dir,
                                   "--port_file=" + port_file,
                                   "--metrics_address=127.0.0.1:0",
                                   "--metrics_port_file=" + metrics_port_file};
  if (options_.auto_create_customers) {
    args.emplace_back("--auto_create_customers");
  }
  args.insert(args.end(), options_.extra_flags.begin(),
              options_.extra_flags.end());
  const std::string log = log_path();
  // Everything the child needs is prepared here: between fork() and exec()
  // a child of a multi-threaded process (gRPC's threads) may only make
  // async-signal-safe calls; malloc or fopen there can deadlock on a lock
  // another thread held at the fork.
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  // The inherited environment, with options_.environment replacing (or
  // adding) variables of the same name.
  std::vector<std::string> environment = options_.environment;
  std::vector<char*> envp;
  for (char** variable = environ; *variable != nullptr; ++variable) {
    const std::string_view entry(*variable);
    const std::string_view name = entry.substr(0, entry.find('='));
    bool replaced = false;
    for (const std::string& extra : environment) {
      replaced = replaced || (extra.size() > name.size() &&
                              extra.compare(0, name.size(), name) == 0 &&
                              extra[name.size()] == '=');
    }
    if (!replaced) envp.push_back(*variable);
  }
  for (std::string& variable : environment) envp.push_back(variable.data());
  envp.push_back(nullptr);
  const int log_fd =
      open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  pid_ = fork();
  if (pid_ == 0) {
    if (log_fd >= 0) {
      dup2(log_fd, STDOUT_FILENO);  // the duplicates stay open across exec
      dup2(log_fd, STDERR_FILENO);
    }
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  if (log_fd >= 0) close(log_fd);
  if (pid_ < 0) return absl::InternalError("fork failed");
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    std::ifstream in(port_file);
    int port = 0;
    if (in >> port && port > 0) {
      port_ = port;
      // Written before the port file, when there is a metrics endpoint.
      std::ifstream metrics_in(metrics_port_file);
      if (int metrics_port = 0; metrics_in >> metrics_port) {
        metrics_port_ = metrics_port;
      }
      return absl::OkStatus();
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return absl::InternalError(
          absl::StrCat("evstored exited during startup (status ", status,
                       "); its log:\n", ReadWholeFile(log)));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  (void)Kill();
  return absl::DeadlineExceededError(
      absl::StrCat("evstored did not write its port file within ",
                   absl::FormatDuration(timeout)));
}

absl::StatusOr<int> EvstoredServer::Stop() {
  if (!running()) return absl::FailedPreconditionError("evstored not running");
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return status;
}

absl::Status EvstoredServer::Kill() {
  if (!running()) return absl::FailedPreconditionError("evstored not running");
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return absl::OkStatus();
}

std::string EvstoredServer::address() const {
  return absl::StrCat("127.0.0.1:", port_);
}

std::string EvstoredServer::AdminToken() const {
  std::ifstream file(options_.data_dir + "/admin.token");
  std::string token;
  std::getline(file, token);
  return token;
}

size_t EvstoredServer::RssBytes() const {
  std::ifstream status(absl::StrCat("/proc/", pid_, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      return std::stoull(line.substr(6)) * 1024;  // reported in kB
    }
  }
  return 0;
}

}  // namespace evstore::testing
