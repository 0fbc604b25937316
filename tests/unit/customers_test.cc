// Explicit customers: CreateCustomer, NOT_FOUND for unknown customers, and
// customer keys that are never reused.
#include <catch2/catch.hpp>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "storage/access_token.h"
#include "storage/event_log.h"
#include "storage/key_format.h"
#include "tests/unit/test_support.h"

using namespace evstore;
using evstore::testing::AppendSync;
using evstore::testing::CreateCustomerSync;
using evstore::testing::DeleteCustomerSync;
using evstore::testing::OneStream;
using evstore::testing::RawDatabase;
using evstore::testing::ReadAll;
using evstore::testing::TempDir;
using evstore::testing::TestOptions;

namespace {

EventLogOptions ExplicitCustomers(const TempDir& dir) {
  EventLogOptions options = TestOptions(dir.path());
  options.auto_create_customers = false;
  return options;
}

std::unique_ptr<EventLog> Open(const EventLogOptions& options) {
  auto log = EventLog::Open(options);
  REQUIRE(log.ok());
  return std::move(*log);
}

// The key recorded for `customer` in the meta family.
std::optional<CustomerKey> StoredKey(const std::string& data_dir,
                                     const std::string& customer) {
  RawDatabase raw(data_dir, /*read_only=*/true);
  std::string value;
  if (!raw.db()
           .Get(rocksdb::ReadOptions(), raw.family(keys::kMetaFamily),
                keys::CustomerByNameKey(customer), &value)
           .ok()) {
    return std::nullopt;
  }
  return keys::ParseCustomerKey(value);
}

// The number of keys of `family` in [begin, end).
size_t CountKeys(RawDatabase& raw, const char* family, const std::string& begin,
                 const std::string& end) {
  std::unique_ptr<rocksdb::Iterator> it(
      raw.db().NewIterator(rocksdb::ReadOptions(), raw.family(family)));
  size_t count = 0;
  for (it->Seek(begin); it->Valid() && it->key().ToString() < end; it->Next()) {
    ++count;
  }
  return count;
}

// Every key of `customer` in every family (data and meta records).
size_t CustomerKeys(const std::string& data_dir, CustomerKey customer,
                    const std::string& name) {
  RawDatabase raw(data_dir, /*read_only=*/true);
  size_t count = 0;
  for (const char* family :
       {keys::kEventsFamily, keys::kStreamsFamily, keys::kIdsFamily}) {
    count += CountKeys(raw, family, keys::CustomerRangeBegin(customer),
                       keys::CustomerRangeEnd(customer));
  }
  count +=
      CountKeys(raw, keys::kMetaFamily, keys::CustomerSegmentsBegin(customer),
                keys::CustomerSegmentsEnd(customer));
  const std::string by_key = keys::CustomerByKeyKey(customer);
  const std::string by_name = keys::CustomerByNameKey(name);
  count += CountKeys(raw, keys::kMetaFamily, by_key, by_key + '\0');
  count += CountKeys(raw, keys::kMetaFamily, by_name, by_name + '\0');
  return count;
}

}  // namespace

TEST_CASE("an append to a customer that was never created is NOT_FOUND") {
  TempDir dir;
  auto log = Open(ExplicitCustomers(dir));
  auto result = AppendSync(*log, OneStream("orsted-dk", "s", 2));
  REQUIRE(absl::IsNotFound(result.status()));
  REQUIRE(ReadAll(*log, "orsted-dk").empty());
  // The server answers reads of it NOT_FOUND (the log itself reads empty).
  const absl::Status exists = log->CheckCustomerExists("orsted-dk");
  REQUIRE(absl::IsNotFound(exists));
  REQUIRE(exists.message() == "customer \"orsted-dk\" does not exist");
  // Nothing was recorded: the customer can still be created.
  REQUIRE(CreateCustomerSync(*log, "orsted-dk").ok());
}

TEST_CASE("a created customer accepts appends and survives a reopen") {
  TempDir dir;
  const EventLogOptions options = ExplicitCustomers(dir);
  {
    auto log = Open(options);
    REQUIRE(CreateCustomerSync(*log, "orsted-dk").ok());
    REQUIRE(log->Head("orsted-dk") == FeedPosition(0));
    auto result = AppendSync(*log, OneStream("orsted-dk", "s", 3));
    REQUIRE(result.ok());
    REQUIRE(result->first_position == FeedPosition(1));
  }
  auto log = Open(options);
  REQUIRE(CreateCustomerSync(*log, "ewii").ok());
  auto result = AppendSync(*log, OneStream("orsted-dk", "s", 1));
  REQUIRE(result.ok());
  REQUIRE(result->first_position == FeedPosition(4));
  REQUIRE(ReadAll(*log, "orsted-dk").size() == 4);
}

TEST_CASE("a customer that exists cannot be created again") {
  TempDir dir;
  const EventLogOptions options = ExplicitCustomers(dir);
  {
    auto log = Open(options);
    REQUIRE(CreateCustomerSync(*log, "orsted-dk").ok());
    REQUIRE(absl::IsAlreadyExists(CreateCustomerSync(*log, "orsted-dk")));
  }
  auto log = Open(options);
  REQUIRE(absl::IsAlreadyExists(CreateCustomerSync(*log, "orsted-dk")));
}

TEST_CASE("creating a customer with an invalid name is INVALID_ARGUMENT") {
  TempDir dir;
  auto log = Open(ExplicitCustomers(dir));
  REQUIRE(absl::IsInvalidArgument(CreateCustomerSync(*log, "")));
  REQUIRE(absl::IsInvalidArgument(CreateCustomerSync(*log, "Upper Case")));
}

TEST_CASE("auto_create_customers creates a customer with its first append") {
  TempDir dir;
  EventLogOptions options = TestOptions(dir.path());
  REQUIRE(options.auto_create_customers);
  {
    auto log = Open(options);
    // In development mode every name counts as existing (reads of unknown
    // ones are empty).
    REQUIRE(log->CheckCustomerExists("never-appended").ok());
    REQUIRE(AppendSync(*log, OneStream("orsted-dk", "s", 2)).ok());
    REQUIRE(absl::IsAlreadyExists(CreateCustomerSync(*log, "orsted-dk")));
  }
  // Created for good: it stays after a reopen without the option.
  options.auto_create_customers = false;
  auto log = Open(options);
  REQUIRE(AppendSync(*log, OneStream("orsted-dk", "s", 1)).ok());
  REQUIRE(
      absl::IsNotFound(AppendSync(*log, OneStream("ewii", "s", 1)).status()));
}

TEST_CASE("customer keys are allocated from a stored high-water mark") {
  TempDir dir;
  const EventLogOptions options = ExplicitCustomers(dir);
  {
    auto log = Open(options);
    REQUIRE(CreateCustomerSync(*log, "a").ok());
    REQUIRE(CreateCustomerSync(*log, "b").ok());
  }
  REQUIRE(StoredKey(options.data_dir, "a") == CustomerKey(1));
  REQUIRE(StoredKey(options.data_dir, "b") == CustomerKey(2));
  {
    RawDatabase raw(options.data_dir, /*read_only=*/true);
    std::string value;
    REQUIRE(raw.db()
                .Get(rocksdb::ReadOptions(), raw.family(keys::kMetaFamily),
                     keys::kNextCustomerKey, &value)
                .ok());
    REQUIRE(keys::ParseCustomerKey(value) == CustomerKey(3));
  }
  auto log = Open(options);
  REQUIRE(CreateCustomerSync(*log, "c").ok());
  log.reset();
  REQUIRE(StoredKey(options.data_dir, "c") == CustomerKey(3));
}

TEST_CASE("deleting a customer removes all of its data and nothing else") {
  TempDir dir;
  EventLogOptions options = ExplicitCustomers(dir);
  options.segment_events = 4;  // several segment records
  {
    auto log = Open(options);
    for (const char* name : {"a", "b", "c"}) {
      REQUIRE(CreateCustomerSync(*log, name).ok());
      REQUIRE(AppendSync(*log, OneStream(name, "s1", 5)).ok());
      REQUIRE(AppendSync(*log, OneStream(name, "s2", 6)).ok());
    }
  }
  REQUIRE(CustomerKeys(options.data_dir, CustomerKey(2), "b") > 0);
  const size_t a_keys = CustomerKeys(options.data_dir, CustomerKey(1), "a");
  const size_t c_keys = CustomerKeys(options.data_dir, CustomerKey(3), "c");
  {
    auto log = Open(options);
    auto tail = log->Tail("b");
    REQUIRE(tail->head() == FeedPosition(11));
    REQUIRE(log->CheckCustomerExists("b").ok());
    REQUIRE(DeleteCustomerSync(*log, "b").ok());
    REQUIRE(tail->closed());
    // Its subscribers learn why (they end NOT_FOUND, not "shutting down").
    REQUIRE(tail->close_reason() == FeedTail::CloseReason::kCustomerDeleted);
    REQUIRE(absl::IsNotFound(log->CheckCustomerExists("b")));
    REQUIRE(log->CheckCustomerExists("a").ok());
    REQUIRE(log->Head("b") == FeedPosition(0));
    REQUIRE(ReadAll(*log, "b").empty());
    REQUIRE(
        absl::IsNotFound(AppendSync(*log, OneStream("b", "s1", 1)).status()));
    REQUIRE(absl::IsNotFound(DeleteCustomerSync(*log, "b")));
    REQUIRE(ReadAll(*log, "a").size() == 11);
    REQUIRE(ReadAll(*log, "c").size() == 11);
  }
  REQUIRE(CustomerKeys(options.data_dir, CustomerKey(2), "b") == 0);
  REQUIRE(CustomerKeys(options.data_dir, CustomerKey(1), "a") == a_keys);
  REQUIRE(CustomerKeys(options.data_dir, CustomerKey(3), "c") == c_keys);

  // Created again: a new key and an empty feed, also after a reopen.
  {
    auto log = Open(options);
    REQUIRE(ReadAll(*log, "b").empty());
    REQUIRE(CreateCustomerSync(*log, "b").ok());
    auto result = AppendSync(*log, OneStream("b", "s1", 2));
    REQUIRE(result.ok());
    REQUIRE(result->first_position == FeedPosition(1));
    REQUIRE(result->streams[0].first_revision == StreamRevision(1));
  }
  REQUIRE(StoredKey(options.data_dir, "b") == CustomerKey(4));
  auto log = Open(options);
  REQUIRE(ReadAll(*log, "b").size() == 2);
}

TEST_CASE("a customer deleted in the middle of appends loses them all") {
  TempDir dir;
  auto log = Open(ExplicitCustomers(dir));
  REQUIRE(CreateCustomerSync(*log, "a").ok());
  // Appends, the delete and a new create are queued together, so that they
  // likely share commit groups; every outcome must still be consistent.
  std::vector<std::future<absl::StatusOr<AppendResult>>> appends;
  appends.reserve(50);
  for (int i = 0; i < 50; ++i) {
    appends.push_back(std::async(std::launch::async, [&log] {
      return AppendSync(*log, OneStream("a", "s", 3));
    }));
  }
  REQUIRE(DeleteCustomerSync(*log, "a").ok());
  REQUIRE(CreateCustomerSync(*log, "a").ok());
  for (auto& append : appends) {
    absl::StatusOr<AppendResult> result = append.get();
    REQUIRE((result.ok() || absl::IsNotFound(result.status())));
  }
  // Only appends after the re-create can be in the new feed, with dense
  // positions from 1.
  std::vector<RecordedEvent> events = ReadAll(*log, "a");
  for (size_t i = 0; i < events.size(); ++i) {
    REQUIRE(events[i].position == FeedPosition(i + 1));
  }
}

TEST_CASE("deleting a customer revokes the tokens limited to it") {
  TempDir dir;
  auto log = Open(ExplicitCustomers(dir));
  REQUIRE(CreateCustomerSync(*log, "a").ok());
  REQUIRE(CreateCustomerSync(*log, "b").ok());
  TokenRecord consumer_b;
  consumer_b.hash = HashAccessToken("evs_consumer_of_b");
  consumer_b.role = TokenRole::kConsumer;
  consumer_b.customers = {"b"};
  TokenRecord consumer_a = consumer_b;
  consumer_a.hash = HashAccessToken("evs_consumer_of_a");
  consumer_a.customers = {"a"};
  REQUIRE(log->tokens().Create(consumer_b).ok());
  REQUIRE(log->tokens().Create(consumer_a).ok());
  size_t revoked = 0;
  REQUIRE(DeleteCustomerSync(*log, "b", &revoked).ok());
  REQUIRE(revoked == 1);
  REQUIRE_FALSE(log->tokens().Lookup(consumer_b.hash));
  REQUIRE(log->tokens().Lookup(consumer_a.hash));
}

TEST_CASE("customers are listed in name order one page at a time") {
  TempDir dir;
  auto log = Open(ExplicitCustomers(dir));
  REQUIRE(log->Customers("", 10).empty());
  for (const char* name : {"c", "a", "e", "b", "d"}) {
    REQUIRE(CreateCustomerSync(*log, name).ok());
  }
  REQUIRE(AppendSync(*log, OneStream("b", "s", 3)).ok());
  const auto names = [](const std::vector<CustomerInfo>& customers) {
    std::vector<std::string> out;
    out.reserve(customers.size());
    for (const CustomerInfo& customer : customers) {
      out.push_back(customer.name);
    }
    return out;
  };
  const std::vector<CustomerInfo> first = log->Customers("", 2);
  REQUIRE(names(first) == std::vector<std::string>{"a", "b"});
  REQUIRE(first[0].head == FeedPosition(0));
  REQUIRE(first[1].head == FeedPosition(3));
  REQUIRE(names(log->Customers("b", 2)) == std::vector<std::string>{"c", "d"});
  REQUIRE(names(log->Customers("d", 2)) == std::vector<std::string>{"e"});
  REQUIRE(log->Customers("e", 2).empty());
  // `after` need not be a customer.
  REQUIRE(names(log->Customers("bb", 1)) == std::vector<std::string>{"c"});

  REQUIRE(log->Customer("b")->head == FeedPosition(3));
  REQUIRE_FALSE(log->Customer("x").has_value());
  REQUIRE(DeleteCustomerSync(*log, "b").ok());
  REQUIRE_FALSE(log->Customer("b").has_value());
  REQUIRE(names(log->Customers("", 10)) ==
          std::vector<std::string>{"a", "c", "d", "e"});
}

TEST_CASE("a customer's creation time is stored and survives a reopen") {
  TempDir dir;
  const EventLogOptions options = ExplicitCustomers(dir);
  const int64_t before = absl::ToUnixMicros(absl::Now());
  int64_t created_at = 0;
  {
    auto log = Open(options);
    REQUIRE(CreateCustomerSync(*log, "orsted-dk").ok());
    std::optional<CustomerInfo> customer = log->Customer("orsted-dk");
    REQUIRE(customer.has_value());
    REQUIRE(customer->name == "orsted-dk");
    REQUIRE(customer->created_at_micros.has_value());
    created_at = *customer->created_at_micros;
    REQUIRE(created_at >= before);
    REQUIRE(created_at <= absl::ToUnixMicros(absl::Now()));
  }
  auto log = Open(options);
  REQUIRE(log->Customer("orsted-dk")->created_at_micros == created_at);
  REQUIRE(log->Customers("", 1)[0].created_at_micros == created_at);
}

TEST_CASE("a customer record of an older log has no creation time") {
  TempDir dir;
  const EventLogOptions options = ExplicitCustomers(dir);
  {
    auto log = Open(options);
    REQUIRE(CreateCustomerSync(*log, "ewii").ok());
    REQUIRE(AppendSync(*log, OneStream("ewii", "s", 2)).ok());
  }
  {
    // What logs written before created_at was kept hold: the name alone.
    RawDatabase raw(options.data_dir, /*read_only=*/false);
    REQUIRE(raw.db()
                .Put(rocksdb::WriteOptions(), raw.family(keys::kMetaFamily),
                     keys::CustomerByKeyKey(CustomerKey(1)), "ewii")
                .ok());
  }
  auto log = Open(options);
  std::optional<CustomerInfo> customer = log->Customer("ewii");
  REQUIRE(customer.has_value());
  REQUIRE_FALSE(customer->created_at_micros.has_value());
  REQUIRE(customer->head == FeedPosition(2));
  REQUIRE(AppendSync(*log, OneStream("ewii", "s", 1)).ok());
}

TEST_CASE("a malformed customer record fails the open as DATA_LOSS") {
  TempDir dir;
  const EventLogOptions options = ExplicitCustomers(dir);
  {
    auto log = Open(options);
    REQUIRE(CreateCustomerSync(*log, "ewii").ok());
  }
  {
    RawDatabase raw(options.data_dir, /*read_only=*/false);
    REQUIRE(raw.db()
                .Put(rocksdb::WriteOptions(), raw.family(keys::kMetaFamily),
                     keys::CustomerByKeyKey(CustomerKey(1)),
                     std::string("ewii\0abc", 8))
                .ok());
  }
  REQUIRE(absl::IsDataLoss(EventLog::Open(options).status()));
}
