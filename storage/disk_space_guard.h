// DiskSpaceGuard: keeps appends from filling the data directory's file
// system. RocksDB cannot take back a write-ahead-log record that hit ENOSPC
// half-way, so a write error is fail-stop (see GroupCommitter); running out
// of disk must therefore be refused *before* the write. The guard admits a
// commit group only while the file system keeps a reserve free for memtable
// flushes and compactions, and starts admitting again by itself once space
// is freed (a hysteresis of reserve/8 avoids flapping at the threshold).
#ifndef EVSTORE_STORAGE_DISK_SPACE_GUARD_H_
#define EVSTORE_STORAGE_DISK_SPACE_GUARD_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace evstore {

// Bytes free for unprivileged writers on the file system holding `path`.
absl::StatusOr<uint64_t> FreeDiskBytes(const std::string& path);

// The reserve used when none is configured: 10% of the file system's size,
// capped at 1 GiB.
absl::StatusOr<uint64_t> DefaultDiskReserve(const std::string& path);

class DiskSpaceGuard {
 public:
  // Reports the free bytes of the guarded file system; replaceable for tests.
  using FreeBytesFn = std::function<absl::StatusOr<uint64_t>()>;

  // Guards the file system of `path`, keeping `reserve_bytes` free (0 turns
  // the guard off).
  DiskSpaceGuard(const std::string& path, uint64_t reserve_bytes);
  // `check_interval`: how often the file system is asked at least.
  DiskSpaceGuard(FreeBytesFn free_bytes, uint64_t reserve_bytes,
                 absl::Duration check_interval = absl::Milliseconds(10));
  DiskSpaceGuard(const DiskSpaceGuard&) = delete;
  DiskSpaceGuard& operator=(const DiskSpaceGuard&) = delete;

  // Decides whether a group carrying `bytes` of event data may be written
  // now: OK, or RESOURCE_EXHAUSTED naming the free space and the reserve.
  // Asks the file system again once check_interval has passed or 4 MiB were
  // admitted since the last look (and on every call while refusing); in
  // between counts admitted bytes twice (the WAL now, an SST file at the
  // next flush). Not thread-safe: the commit thread calls it.
  absl::Status Admit(uint64_t bytes);

  // True while appends are refused for lack of space. Thread-safe.
  bool low() const { return low_.load(std::memory_order_relaxed); }

  uint64_t reserve_bytes() const { return reserve_bytes_; }

 private:
  void Refresh(absl::Time now);

  const FreeBytesFn free_bytes_;
  const uint64_t reserve_bytes_;
  const absl::Duration check_interval_;

  absl::Time checked_at_ = absl::InfinitePast();
  uint64_t free_at_check_ = 0;
  uint64_t admitted_since_check_ = 0;
  absl::Status check_error_;
  std::atomic<bool> low_{false};
};

}  // namespace evstore

#endif  // EVSTORE_STORAGE_DISK_SPACE_GUARD_H_
