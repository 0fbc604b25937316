#include "tests/relay/relay_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

namespace evstore::testing {

std::string RelayPath() { return EVSTORE_RELAY_PATH; }

RelayProcess::RelayProcess(const std::string& config_path,
                           const std::string& log_path,
                           std::vector<std::string> environment) {
  const std::string binary = RelayPath();
  const std::string config_flag = "--config=" + config_path;
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("RelayProcess: fork failed");
  if (pid_ == 0) {
    const int log = ::open(log_path.c_str(),
                           O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log >= 0) {
      ::dup2(log, STDOUT_FILENO);
      ::dup2(log, STDERR_FILENO);
    }
    for (std::string& variable : environment) ::putenv(variable.data());
    ::execl(binary.c_str(), binary.c_str(), config_flag.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
}

RelayProcess::~RelayProcess() {
  if (running()) Kill();
}

int RelayProcess::Stop() {
  ::kill(pid_, SIGTERM);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void RelayProcess::Kill() {
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

}  // namespace evstore::testing
