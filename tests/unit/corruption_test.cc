// Damaged bytes on disk are detected by checksums and reported as
// DATA_LOSS, never served as wrong events.
#include <rocksdb/db.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "storage/event_log.h"
#include "storage/key_format.h"
#include "tests/unit/test_support.h"

namespace evstore {
namespace {

std::unique_ptr<EventLog> OpenLog(const std::string& dir) {
  auto log = EventLog::Open(testing::TestOptions(dir));
  REQUIRE(log.ok());
  return std::move(*log);
}

// Moves everything in the memtables (and so only in the WAL) into SST files.
void FlushToSstFiles(const std::string& data_dir) {
  testing::RawDatabase raw(data_dir, /*read_only=*/false);
  for (const char* family : {keys::kEventsFamily, keys::kStreamsFamily,
                             keys::kIdsFamily, keys::kMetaFamily}) {
    REQUIRE(raw.db().Flush(rocksdb::FlushOptions(), raw.family(family)).ok());
  }
}

std::filesystem::path LargestSstFile(const std::string& data_dir) {
  std::filesystem::path largest;
  uintmax_t largest_size = 0;
  for (const auto& entry : std::filesystem::directory_iterator(data_dir)) {
    if (entry.path().extension() != ".sst") continue;
    if (entry.file_size() > largest_size) {
      largest_size = entry.file_size();
      largest = entry.path();
    }
  }
  REQUIRE(largest_size > 0);
  return largest;
}

// Flips one bit every `stride` bytes over the first `fraction` of the file
// (its data blocks; the index and footer are at the end).
void FlipBits(const std::filesystem::path& file, double fraction,
              size_t stride) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  REQUIRE(f.good());
  const auto size = static_cast<size_t>(std::filesystem::file_size(file));
  for (size_t offset = 64; offset < size * fraction; offset += stride) {
    f.seekg(static_cast<std::streamoff>(offset));
    char byte = 0;
    f.read(&byte, 1);
    byte = static_cast<char>(byte ^ 0x10);
    f.seekp(static_cast<std::streamoff>(offset));
    f.write(&byte, 1);
  }
  REQUIRE(f.good());
}

TEST_CASE("a corrupted SST block is reported as data loss and never served") {
  testing::TempDir dir;
  const std::string data_dir = dir.path() + "/data";
  {
    auto log = OpenLog(dir.path());
    for (int i = 0; i < 20; ++i) {
      REQUIRE(
          testing::AppendSync(
              *log, testing::OneStream("statkraft", "portfolio/nordic", 100))
              .ok());
    }
  }
  FlushToSstFiles(data_dir);
  {
    // Intact, the flushed log reads back whole.
    auto log = OpenLog(dir.path());
    REQUIRE(testing::ReadAll(*log, "statkraft").size() == 2000);
  }
  FlipBits(LargestSstFile(data_dir), 0.6, 4096);

  auto log = OpenLog(dir.path());
  // Reading the whole feed must hit a damaged block: either a read fails with
  // DATA_LOSS, or (had no damaged block been read) every event is intact.
  FeedPosition next(1);
  absl::Status failure;
  for (;;) {
    auto read = log->ReadFeed("statkraft", next, ReadDirection::kForwards,
                              ReadLimits{}, EventFilter());
    if (!read.ok()) {
      failure = read.status();
      break;
    }
    if (read->events.empty()) break;
    for (const RecordedEvent& event : read->events) {
      REQUIRE(event.position == next);  // never a wrong event
      next = FeedPosition(next.value() + 1);
    }
  }
  INFO(failure.ToString());
  REQUIRE(failure.code() == absl::StatusCode::kDataLoss);
  REQUIRE(std::string(failure.message()).find("Corruption") !=
          std::string::npos);
}

}  // namespace
}  // namespace evstore
