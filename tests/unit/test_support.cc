#include "tests/unit/test_support.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <future>
#include <random>

namespace evstore::testing {

TempDir::TempDir() {
  std::random_device rd;
  const auto base = std::filesystem::temp_directory_path();
  for (;;) {
    auto candidate = base / ("evstore-test-" + std::to_string(rd()));
    if (std::filesystem::create_directory(candidate)) {
      path_ = candidate.string();
      return;
    }
  }
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

EventLogOptions TestOptions(const std::string& dir) {
  EventLogOptions options;
  options.data_dir = dir + "/data";
  options.block_cache_bytes = 8 << 20;
  options.write_buffer_bytes = 4 << 20;
  // Most storage tests append to customers they never created; the tests of
  // explicit customers (customers_test.cc) turn this off.
  options.auto_create_customers = true;
  return options;
}

absl::Status DeleteCustomerSync(EventLog& log, std::string_view customer,
                                size_t* revoked_tokens) {
  std::promise<absl::StatusOr<size_t>> promise;
  auto future = promise.get_future();
  log.DeleteCustomer(customer, [&promise](absl::StatusOr<size_t> revoked) {
    promise.set_value(std::move(revoked));
  });
  absl::StatusOr<size_t> revoked = future.get();
  if (revoked.ok() && revoked_tokens != nullptr) *revoked_tokens = *revoked;
  return revoked.status();
}

absl::Status CreateCustomerSync(EventLog& log, std::string_view customer) {
  std::promise<absl::Status> promise;
  auto future = promise.get_future();
  log.CreateCustomer(customer, [&promise](absl::Status status) {
    promise.set_value(std::move(status));
  });
  return future.get();
}

absl::StatusOr<AppendResult> AppendSync(EventLog& log, AppendBatch batch) {
  std::promise<absl::StatusOr<AppendResult>> promise;
  auto future = promise.get_future();
  log.Append(std::move(batch), [&promise](absl::StatusOr<AppendResult> r) {
    promise.set_value(std::move(r));
  });
  return future.get();
}

EventId RandomId() {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  EventId::Bytes bytes;
  for (size_t i = 0; i < bytes.size(); i += 8) {
    const uint64_t r = rng();
    for (size_t k = 0; k < 8; ++k)
      bytes[i + k] = static_cast<uint8_t>(r >> (8 * k));
  }
  bytes[6] = static_cast<uint8_t>((bytes[6] & 0x0F) | 0x40);
  bytes[8] = static_cast<uint8_t>((bytes[8] & 0x3F) | 0x80);
  return EventId(bytes);
}

ProposedEvent MakeEvent(std::string type, std::string data) {
  ProposedEvent event;
  event.id = RandomId();
  event.type = std::move(type);
  event.content_type = "application/json";
  event.data = std::move(data);
  event.metadata = {{"source", "egssport"}};
  return event;
}

AppendBatch OneStream(std::string customer, std::string stream, size_t count,
                      ExpectedRevision expected) {
  AppendBatch batch;
  batch.customer = std::move(customer);
  StreamWrite write;
  write.stream = std::move(stream);
  write.expected = expected;
  for (size_t i = 0; i < count; ++i) write.events.push_back(MakeEvent());
  batch.writes.push_back(std::move(write));
  return batch;
}

RawDatabase::RawDatabase(const std::string& data_dir, bool read_only) {
  rocksdb::DBOptions options;
  REQUIRE(rocksdb::DB::ListColumnFamilies(options, data_dir, &names_).ok());
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const std::string& name : names_) {
    families.emplace_back(name, rocksdb::ColumnFamilyOptions());
  }
  const rocksdb::Status s =
      read_only
          ? rocksdb::DB::OpenForReadOnly(options, data_dir, families, &handles_,
                                         &db_)
          : rocksdb::DB::Open(options, data_dir, families, &handles_, &db_);
  REQUIRE(s.ok());
}

RawDatabase::~RawDatabase() {
  for (rocksdb::ColumnFamilyHandle* handle : handles_) {
    db_->DestroyColumnFamilyHandle(handle);
  }
  delete db_;
}

rocksdb::ColumnFamilyHandle* RawDatabase::family(const std::string& name) {
  for (size_t i = 0; i < names_.size(); ++i) {
    if (names_[i] == name) return handles_[i];
  }
  FAIL("no column family " << name);
  return nullptr;
}

std::vector<RecordedEvent> ReadAll(EventLog& log, const std::string& customer) {
  std::vector<RecordedEvent> all;
  FeedPosition from(1);
  for (;;) {
    absl::StatusOr<FeedReadResult> r = log.ReadFeed(
        customer, from, ReadDirection::kForwards, ReadLimits{}, EventFilter());
    REQUIRE(r.ok());
    for (auto& e : r->events) all.push_back(std::move(e));
    if (r->end) return all;
    from = r->last_scanned.Next();
  }
}

}  // namespace evstore::testing
