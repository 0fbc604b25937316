// A fault-injection shim for tests, loaded into evstored with LD_PRELOAD:
// while the file named by EVSTORE_FAULT_FSYNC_TRIGGER exists, fsync and
// fdatasync fail with EIO (as on a failing disk) without syncing anything.
// Each injected failure appends a line to the trigger file's path plus
// ".hits", so a test can tell that the fault really fired.
#include <dlfcn.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>

namespace {

using SyncFn = int (*)(int);

SyncFn Next(const char* name) {
  return reinterpret_cast<SyncFn>(dlsym(RTLD_NEXT, name));
}

bool ShouldFail() {
  const char* trigger = std::getenv("EVSTORE_FAULT_FSYNC_TRIGGER");
  if (trigger == nullptr || access(trigger, F_OK) != 0) return false;
  const std::string hits = std::string(trigger) + ".hits";
  const int fd = open(hits.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd >= 0) {
    const ssize_t written = write(fd, "EIO\n", 4);
    (void)written;
    close(fd);
  }
  return true;
}

}  // namespace

extern "C" int fsync(int fd) {
  static const SyncFn real = Next("fsync");
  if (ShouldFail()) {
    errno = EIO;
    return -1;
  }
  return real(fd);
}

extern "C" int fdatasync(int fd) {
  static const SyncFn real = Next("fdatasync");
  if (ShouldFail()) {
    errno = EIO;
    return -1;
  }
  return real(fd);
}
