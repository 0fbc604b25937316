// DeadLetterClaim: the dead-letter files one `evstore-relay redrive` owns
// while it re-posts their records (docs/relay.md, "Dead letters").
//
// Taking the live file: open it, flock(LOCK_EX) (the lock every
// DeadLetterFile::Append takes, relay/dead_letter_file.h), check it is still
// the file at the path, rename it to `<path>.redrive.<pid>`, fsync the
// directory, unlock. A running relay's next Append creates a new live file;
// one that waited for the lock notices the rename and retries on the new
// file. So every record is in exactly one of the two files.
//
// Leftovers: while a redrive runs, it holds an open-file-description lock
// (fcntl F_OFD_SETLK, independent of flock on Linux) on each file it owns;
// the kernel drops it when the process dies. A `<path>.redrive.*` file that
// nobody holds is the leftover of a redrive that died midway, and the next
// redrive takes it over too (before the live file), so nothing is lost.
// Records a dead redrive had already appended back to the live file are then
// in two files with the same id; the redrive keeps one (see
// relay/dead_letter_redrive.h).
#ifndef EVSTORE_RELAY_DEAD_LETTER_CLAIM_H_
#define EVSTORE_RELAY_DEAD_LETTER_CLAIM_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace evstore::relay {

class DeadLetterClaim {
 public:
  // Takes every leftover `<path>.redrive.*` file that no running redrive
  // holds, then the live file at `path` (when it exists). Safe against
  // relays appending and other redrives taking at the same time.
  static absl::StatusOr<std::unique_ptr<DeadLetterClaim>> Take(
      const std::string& path);
  // Releases the files without removing them: whatever they hold is taken
  // by the next redrive.
  ~DeadLetterClaim();
  DeadLetterClaim(const DeadLetterClaim&) = delete;
  DeadLetterClaim& operator=(const DeadLetterClaim&) = delete;

  // The claimed files in the order their records are re-posted: leftovers
  // (oldest redrive first by name), then the live file taken now.
  std::vector<std::string> files() const;

  // Removes every claimed file and fsyncs the directory. Call once every
  // record was delivered or appended back to the live file.
  [[nodiscard]] absl::Status Remove();

 private:
  struct OwnedFile {
    std::string path;
    int fd = -1;  // Holds the F_OFD_SETLK lock.
  };
  explicit DeadLetterClaim(std::vector<OwnedFile> owned)
      : owned_(std::move(owned)) {}

  std::vector<OwnedFile> owned_;
};

// The leftover `<path>.redrive.*` files next to `path` (of a running or a
// dead redrive), sorted by name. Reads the directory only.
absl::StatusOr<std::vector<std::string>> RedriveFiles(const std::string& path);

}  // namespace evstore::relay

#endif  // EVSTORE_RELAY_DEAD_LETTER_CLAIM_H_
