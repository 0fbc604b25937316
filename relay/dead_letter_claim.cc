#include "relay/dead_letter_claim.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace evstore::relay {
namespace {

constexpr char kRedriveInfix[] = ".redrive.";

std::string DirectoryOf(const std::string& path) {
  const std::string parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? "." : parent;
}

absl::Status FsyncDirectory(const std::string& path) {
  const std::string directory = DirectoryOf(path);
  const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("open ", directory));
  }
  const int synced = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  if (synced != 0) {
    return absl::ErrnoToStatus(error, absl::StrCat("fsync ", directory));
  }
  return absl::OkStatus();
}

// Whether `fd` is the file at `path` now.
bool IsFileAt(int fd, const std::string& path) {
  struct stat opened = {};
  struct stat at_path = {};
  return ::fstat(fd, &opened) == 0 && ::stat(path.c_str(), &at_path) == 0 &&
         opened.st_dev == at_path.st_dev && opened.st_ino == at_path.st_ino;
}

// Takes the open-file-description lock that marks a file as owned by a
// running redrive. False when another process holds it.
absl::StatusOr<bool> LockOwned(int fd, const std::string& path) {
  struct flock lock = {};
  lock.l_type = F_WRLCK;
  lock.l_whence = SEEK_SET;
  lock.l_start = 0;
  lock.l_len = 0;  // The whole file.
  if (::fcntl(fd, F_OFD_SETLK, &lock) == 0) return true;
  if (errno == EAGAIN || errno == EACCES) return false;
  return absl::ErrnoToStatus(errno, absl::StrCat("F_OFD_SETLK ", path));
}

int FlockRetrying(int fd, int operation) {
  int result = 0;
  do {
    result = ::flock(fd, operation);
  } while (result != 0 && errno == EINTR);
  return result;
}

// A name `<path>.redrive.<pid>` that no file has (a leftover of a dead
// process with the same pid may have the plain one). Only this process
// creates names with its pid, so the name stays free.
std::string FreeRedriveName(const std::string& path) {
  const std::string base = absl::StrCat(path, kRedriveInfix, ::getpid());
  std::string name = base;
  struct stat existing = {};
  for (int n = 1; ::stat(name.c_str(), &existing) == 0; ++n) {
    name = absl::StrCat(base, ".", n);
  }
  return name;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> RedriveFiles(const std::string& path) {
  const std::string prefix = absl::StrCat(
      std::filesystem::path(path).filename().string(), kRedriveInfix);
  std::vector<std::string> files;
  std::error_code error;
  for (const std::filesystem::directory_entry& entry :
       std::filesystem::directory_iterator(DirectoryOf(path), error)) {
    const std::string name = entry.path().filename().string();
    if (absl::StartsWith(name, prefix)) files.push_back(entry.path().string());
  }
  if (error && error != std::errc::no_such_file_or_directory) {
    return absl::ErrnoToStatus(error.value(),
                               absl::StrCat("list ", DirectoryOf(path)));
  }
  std::sort(files.begin(), files.end());
  return files;
}

absl::StatusOr<std::unique_ptr<DeadLetterClaim>> DeadLetterClaim::Take(
    const std::string& path) {
  // On an error the files taken so far are released, not removed.
  std::unique_ptr<DeadLetterClaim> claim(
      new DeadLetterClaim(std::vector<OwnedFile>{}));

  absl::StatusOr<std::vector<std::string>> leftovers = RedriveFiles(path);
  if (!leftovers.ok()) return leftovers.status();
  for (const std::string& leftover : *leftovers) {
    const int fd = ::open(leftover.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) continue;  // Its redrive finished meanwhile.
      return absl::ErrnoToStatus(errno, absl::StrCat("open ", leftover));
    }
    absl::StatusOr<bool> locked = LockOwned(fd, leftover);
    // A redrive removes its files before it lets go of them: a file no
    // longer at its path was finished, not left over.
    if (!locked.ok() || !*locked || !IsFileAt(fd, leftover)) {
      ::close(fd);
      if (!locked.ok()) return locked.status();
      continue;
    }
    claim->owned_.push_back({.path = leftover, .fd = fd});
  }

  for (;;) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) break;  // No live file: nothing dead-lettered.
      return absl::ErrnoToStatus(errno, absl::StrCat("open ", path));
    }
    if (FlockRetrying(fd, LOCK_EX) != 0) {
      const int error = errno;
      ::close(fd);
      return absl::ErrnoToStatus(error, absl::StrCat("flock ", path));
    }
    if (!IsFileAt(fd, path)) {  // Another redrive took it meanwhile.
      ::close(fd);
      continue;
    }
    // Owned before it gets its new name, so that no other redrive ever sees
    // it there unowned.
    absl::StatusOr<bool> locked = LockOwned(fd, path);
    if (!locked.ok() || !*locked) {
      ::close(fd);
      if (!locked.ok()) return locked.status();
      return absl::InternalError(
          absl::StrCat(path, " is locked by another process"));
    }
    const std::string taken = FreeRedriveName(path);
    if (::rename(path.c_str(), taken.c_str()) != 0) {
      const int error = errno;
      ::close(fd);
      return absl::ErrnoToStatus(error, absl::StrCat("rename ", path));
    }
    claim->owned_.push_back({.path = taken, .fd = fd});
    absl::Status synced = FsyncDirectory(path);
    // Appends waiting for the lock go on, into a new live file.
    FlockRetrying(fd, LOCK_UN);
    if (!synced.ok()) return synced;
    break;
  }
  return claim;
}

DeadLetterClaim::~DeadLetterClaim() {
  for (const OwnedFile& file : owned_) ::close(file.fd);
}

std::vector<std::string> DeadLetterClaim::files() const {
  std::vector<std::string> paths;
  paths.reserve(owned_.size());
  for (const OwnedFile& file : owned_) paths.push_back(file.path);
  return paths;
}

absl::Status DeadLetterClaim::Remove() {
  // Unlinked while still locked: a redrive that opened one of them
  // meanwhile sees that it is gone once it gets the lock.
  for (const OwnedFile& file : owned_) {
    if (::unlink(file.path.c_str()) != 0 && errno != ENOENT) {
      return absl::ErrnoToStatus(errno, absl::StrCat("unlink ", file.path));
    }
  }
  if (owned_.empty()) return absl::OkStatus();
  absl::Status synced = FsyncDirectory(owned_.front().path);
  for (const OwnedFile& file : owned_) ::close(file.fd);
  owned_.clear();
  return synced;
}

}  // namespace evstore::relay
