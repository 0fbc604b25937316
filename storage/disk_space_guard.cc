#include "storage/disk_space_guard.h"

#include <sys/statvfs.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace evstore {
namespace {

constexpr uint64_t kCheckBytes = uint64_t{4} << 20;
// Admitted data is written twice before the space is next measured: to the
// write-ahead log and, at the next memtable flush, to an SST file.
constexpr uint64_t kWriteFactor = 2;

absl::StatusOr<struct statvfs> StatFileSystem(const std::string& path) {
  struct statvfs stat {};
  if (statvfs(path.c_str(), &stat) != 0) {
    return absl::InternalError(
        absl::StrCat("statvfs(", path, ") failed: ", std::strerror(errno)));
  }
  return stat;
}

}  // namespace

absl::StatusOr<uint64_t> FreeDiskBytes(const std::string& path) {
  absl::StatusOr<struct statvfs> stat = StatFileSystem(path);
  if (!stat.ok()) return stat.status();
  return uint64_t{stat->f_bavail} * stat->f_frsize;
}

absl::StatusOr<uint64_t> DefaultDiskReserve(const std::string& path) {
  absl::StatusOr<struct statvfs> stat = StatFileSystem(path);
  if (!stat.ok()) return stat.status();
  const uint64_t size = uint64_t{stat->f_blocks} * stat->f_frsize;
  return std::min<uint64_t>(size / 10, uint64_t{1} << 30);
}

DiskSpaceGuard::DiskSpaceGuard(const std::string& path, uint64_t reserve_bytes)
    : DiskSpaceGuard([path] { return FreeDiskBytes(path); }, reserve_bytes) {}

DiskSpaceGuard::DiskSpaceGuard(FreeBytesFn free_bytes, uint64_t reserve_bytes,
                               absl::Duration check_interval)
    : free_bytes_(std::move(free_bytes)),
      reserve_bytes_(reserve_bytes),
      check_interval_(check_interval) {}

void DiskSpaceGuard::Refresh(absl::Time now) {
  checked_at_ = now;
  admitted_since_check_ = 0;
  absl::StatusOr<uint64_t> free = free_bytes_();
  if (free.ok()) {
    free_at_check_ = *free;
    check_error_ = absl::OkStatus();
  } else {
    check_error_ = free.status();
  }
}

absl::Status DiskSpaceGuard::Admit(uint64_t bytes) {
  if (reserve_bytes_ == 0) return absl::OkStatus();
  const absl::Time now = absl::Now();
  if (checked_at_ == absl::InfinitePast() ||
      now - checked_at_ >= check_interval_ ||
      admitted_since_check_ >= kCheckBytes || low()) {
    Refresh(now);
  }
  // Not knowing the free space is no reason to stop appends: RocksDB's own
  // errors still fail-stop the log if the disk really is full.
  if (!check_error_.ok()) return absl::OkStatus();

  const uint64_t spent = admitted_since_check_ * kWriteFactor;
  const uint64_t free = free_at_check_ > spent ? free_at_check_ - spent : 0;
  const uint64_t needed =
      reserve_bytes_ + bytes * kWriteFactor + (low() ? reserve_bytes_ / 8 : 0);
  if (free < needed) {
    low_.store(true, std::memory_order_relaxed);
    return absl::ResourceExhaustedError(absl::StrCat(
        "the disk holding the data directory is almost full (", free,
        " bytes free, ", reserve_bytes_,
        " kept in reserve); appends resume by themselves once space is "
        "freed: retry with backoff (with the same event ids)"));
  }
  low_.store(false, std::memory_order_relaxed);
  admitted_since_check_ += bytes;
  return absl::OkStatus();
}

}  // namespace evstore
