#include "storage/disk_space_guard.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <thread>

#include "tests/unit/test_support.h"

namespace evstore {
namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;

// A file system whose free space the test sets.
struct FakeDisk {
  uint64_t free = 0;
  int checks = 0;
  DiskSpaceGuard::FreeBytesFn fn() {
    return [this]() -> absl::StatusOr<uint64_t> {
      ++checks;
      return free;
    };
  }
};

TEST_CASE("the guard admits writes while the reserve stays free") {
  FakeDisk disk{100 * kMiB, 0};
  DiskSpaceGuard guard(disk.fn(), 10 * kMiB);
  REQUIRE(guard.Admit(kMiB).ok());
  REQUIRE_FALSE(guard.low());
}

TEST_CASE("the guard refuses a write that would eat into the reserve") {
  FakeDisk disk{12 * kMiB, 0};
  DiskSpaceGuard guard(disk.fn(), 10 * kMiB);
  // 2 MiB of events cost 4 MiB (WAL and SST): 12 - 4 < 10.
  absl::Status refused = guard.Admit(2 * kMiB);
  REQUIRE(refused.code() == absl::StatusCode::kResourceExhausted);
  REQUIRE(guard.low());
  // A smaller write still fits, above the hysteresis (reserve / 8).
  REQUIRE(guard.Admit(kMiB / 4).ok());
  REQUIRE_FALSE(guard.low());
}

TEST_CASE("between checks the guard counts what it admitted") {
  FakeDisk disk{20 * kMiB, 0};
  DiskSpaceGuard guard(disk.fn(), 10 * kMiB, absl::InfiniteDuration());
  REQUIRE(guard.Admit(kMiB).ok());
  const int checks = disk.checks;
  // The fake disk does not shrink, but the guard knows 2 MiB were written
  // (twice 1 MiB): 20 - 2 - 2*2 = 14 >= 10, then 20 - 6 - 2*2 = 10.
  REQUIRE(guard.Admit(2 * kMiB).ok());
  REQUIRE(guard.Admit(2 * kMiB).ok());
  REQUIRE(disk.checks == checks);  // within 4 MiB: no new check
  // The 4 MiB admitted since the check force a fresh look at the disk.
  REQUIRE(guard.Admit(kMiB).ok());
  REQUIRE(disk.checks == checks + 1);
}

TEST_CASE("a refused guard resumes by itself once space is freed") {
  FakeDisk disk{10 * kMiB, 0};
  DiskSpaceGuard guard(disk.fn(), 8 * kMiB);
  REQUIRE_FALSE(guard.Admit(2 * kMiB).ok());
  // Freed to just above what is needed: the hysteresis (reserve / 8 = 1 MiB)
  // keeps it refused.
  disk.free = 12 * kMiB + kMiB / 2;
  REQUIRE_FALSE(guard.Admit(2 * kMiB).ok());
  disk.free = 14 * kMiB;
  REQUIRE(guard.Admit(2 * kMiB).ok());
  REQUIRE_FALSE(guard.low());
}

TEST_CASE("a zero reserve turns the guard off") {
  FakeDisk disk{0, 0};
  DiskSpaceGuard guard(disk.fn(), 0);
  REQUIRE(guard.Admit(100 * kMiB).ok());
  REQUIRE(disk.checks == 0);
}

TEST_CASE("the guard measures a real file system") {
  testing::TempDir dir;
  absl::StatusOr<uint64_t> free = FreeDiskBytes(dir.path());
  REQUIRE(free.ok());
  REQUIRE(*free > 0);
  absl::StatusOr<uint64_t> reserve = DefaultDiskReserve(dir.path());
  REQUIRE(reserve.ok());
  REQUIRE(*reserve > 0);
  REQUIRE(*reserve <= uint64_t{1} << 30);
  REQUIRE_FALSE(FreeDiskBytes(dir.path() + "/missing").ok());
  // More than is free can never be kept in reserve.
  DiskSpaceGuard guard(dir.path(), *free + (uint64_t{1} << 40));
  REQUIRE(guard.Admit(1).code() == absl::StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace evstore
