#include "tests/integration/run_process.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace evstore::testing {
namespace {

std::string ReadAndRemove(const std::string& path) {
  std::stringstream text;
  {
    std::ifstream in(path, std::ios::binary);
    text << in.rdbuf();
  }
  std::remove(path.c_str());
  return text.str();
}

}  // namespace

ProcessResult RunProcess(const std::vector<std::string>& argv,
                         const std::vector<std::string>& environment,
                         std::chrono::seconds timeout,
                         const std::string& input) {
  REQUIRE(!argv.empty());
  char dir_template[] = "/tmp/evstore-run-XXXXXX";
  REQUIRE(mkdtemp(dir_template) != nullptr);
  const std::string dir = dir_template;
  const std::string in_path = dir + "/stdin";
  const std::string out_path = dir + "/stdout";
  const std::string err_path = dir + "/stderr";
  {
    std::ofstream in(in_path, std::ios::binary);
    in << input;
  }

  // Everything the child needs is prepared before fork().
  std::vector<std::string> argv_strings = argv;
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::string(*e).rfind("EVSTORE_", 0) != 0) env_strings.emplace_back(*e);
  }
  env_strings.insert(env_strings.end(), environment.begin(), environment.end());
  std::vector<char*> child_argv;
  child_argv.reserve(argv_strings.size() + 1);
  for (std::string& a : argv_strings) child_argv.push_back(a.data());
  child_argv.push_back(nullptr);
  std::vector<char*> child_envp;
  child_envp.reserve(env_strings.size() + 1);
  for (std::string& e : env_strings) child_envp.push_back(e.data());
  child_envp.push_back(nullptr);

  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    const int in_fd = open(in_path.c_str(), O_RDONLY);
    const int out_fd =
        open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err_fd =
        open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (in_fd < 0 || out_fd < 0 || err_fd < 0) _exit(126);
    dup2(in_fd, STDIN_FILENO);
    dup2(out_fd, STDOUT_FILENO);
    dup2(err_fd, STDERR_FILENO);
    execve(child_argv[0], child_argv.data(), child_envp.data());
    _exit(127);
  }
  int status = 0;
  bool exited = false;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid, &status, WNOHANG) == pid) {
      exited = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (!exited) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
  }
  ProcessResult result;
  if (exited && WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  result.out = ReadAndRemove(out_path);
  result.err = ReadAndRemove(err_path);
  std::remove(in_path.c_str());
  rmdir(dir.c_str());
  return result;
}

}  // namespace evstore::testing
