#include "relay/dead_letter_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "client/cli/json_text.h"

namespace evstore::relay {
namespace {

// Whether the file `fd` ends in the middle of a line: the append before
// was cut short by a crash.
absl::StatusOr<bool> EndsWithTornLine(int fd, const std::string& path) {
  struct stat file = {};
  if (::fstat(fd, &file) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("fstat ", path));
  }
  if (file.st_size == 0) return false;
  char last = '\n';
  if (::pread(fd, &last, 1, file.st_size - 1) != 1) {
    return absl::ErrnoToStatus(errno, absl::StrCat("read ", path));
  }
  return last != '\n';
}

// Opens the file at `path` for appending (created if needed) and locks it
// exclusively. Retries when the file was renamed away (by a redrive) between
// the open and the lock, so the returned descriptor is the file at `path`.
absl::StatusOr<int> OpenLockedForAppend(const std::string& path) {
  for (;;) {
    const int fd =
        ::open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return absl::ErrnoToStatus(errno, absl::StrCat("open ", path));
    int locked = 0;
    do {
      locked = ::flock(fd, LOCK_EX);
    } while (locked != 0 && errno == EINTR);
    if (locked != 0) {
      const int error = errno;
      ::close(fd);
      return absl::ErrnoToStatus(error, absl::StrCat("flock ", path));
    }
    struct stat opened = {};
    struct stat at_path = {};
    if (::fstat(fd, &opened) != 0) {
      const int error = errno;
      ::close(fd);
      return absl::ErrnoToStatus(error, absl::StrCat("fstat ", path));
    }
    if (::stat(path.c_str(), &at_path) == 0 &&
        opened.st_dev == at_path.st_dev && opened.st_ino == at_path.st_ino) {
      return fd;
    }
    // Renamed (or removed) meanwhile: this file is no longer the live one.
    ::close(fd);
  }
}

}  // namespace

absl::Status DeadLetterFile::Append(const v1::RecordedEvent& event,
                                    const DeadLetter& letter) const {
  std::string line = R"({"customer":)";
  cli::AppendJsonString(line, event.customer());
  line += R"(,"sink":)";
  cli::AppendJsonString(line, letter.sink);
  absl::StrAppend(&line, R"(,"position":)", event.position(), R"(,"id":)");
  cli::AppendJsonString(line, event.id());
  line += R"(,"stream":)";
  cli::AppendJsonString(line, event.stream());
  absl::StrAppend(&line, R"(,"attempts":)", letter.attempts,
                  R"(,"last_error":)");
  cli::AppendJsonString(line, letter.last_error);
  absl::StrAppend(&line, R"(,"event":)", letter.cloud_event_json, "}\n");

  absl::StatusOr<int> opened = OpenLockedForAppend(path_);
  if (!opened.ok()) return opened.status();
  // Closing the descriptor releases the lock.
  const int fd = *opened;
  // A torn line gets its own line, so that it does not swallow this record
  // (the reader skips it).
  absl::StatusOr<bool> torn = EndsWithTornLine(fd, path_);
  if (!torn.ok()) {
    ::close(fd);
    return torn.status();
  }
  if (*torn) line = absl::StrCat("\n", line);
  const char* data = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    const ssize_t written = ::write(fd, data, left);
    if (written < 0 && errno == EINTR) continue;
    if (written < 0) {
      const int error = errno;
      ::close(fd);
      return absl::ErrnoToStatus(error, absl::StrCat("write ", path_));
    }
    data += written;
    left -= static_cast<std::size_t>(written);
  }
  if (::fsync(fd) != 0) {
    const int error = errno;
    ::close(fd);
    return absl::ErrnoToStatus(error, absl::StrCat("fsync ", path_));
  }
  ::close(fd);
  return absl::OkStatus();
}

}  // namespace evstore::relay
