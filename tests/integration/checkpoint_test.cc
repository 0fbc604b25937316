// Checkpoints against a real evstored: commit, get, list, delete, the
// monotonic rule, positions beyond the head, unknown customers, access, and
// Subscribe resuming from an existing or a missing checkpoint.
#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "tests/integration/access_support.h"
#include "tests/integration/evstored_process.h"
#include "tests/integration/metrics_scrape.h"
#include "tests/integration/test_events.h"

namespace evstore::testing {
namespace {

using Catch::Matchers::Contains;

constexpr char kA[] = "alpha-gas";
constexpr char kB[] = "beta-power";
constexpr char kStream[] = "contract/DS000068/nominations";

// The checkpoint RPCs on the raw stub, with one caller's metadata.
class CheckpointCalls {
 public:
  CheckpointCalls(const EvstoredProcess& server, AuthorizationHeader header)
      : stub_(v1::EventStoreService::NewStub(grpc::CreateChannel(
            server.address(), grpc::InsecureChannelCredentials()))),
        header_(std::move(header)) {}

  grpc::Status Commit(const std::string& customer, const std::string& name,
                      uint64_t position, bool allow_backwards = false,
                      const v1::Partition* partition = nullptr,
                      v1::Checkpoint* stored = nullptr) {
    v1::CommitCheckpointRequest request;
    request.set_customer(customer);
    request.set_name(name);
    request.set_position(position);
    request.set_allow_backwards(allow_backwards);
    if (partition != nullptr) *request.mutable_partition() = *partition;
    grpc::ClientContext context;
    PrepareContext(context, header_);
    v1::CommitCheckpointResponse response;
    grpc::Status status = stub_->CommitCheckpoint(&context, request, &response);
    if (stored != nullptr) *stored = response.checkpoint();
    return status;
  }

  grpc::Status Get(const std::string& customer, const std::string& name,
                   v1::Checkpoint* out = nullptr,
                   const v1::Partition* partition = nullptr) {
    v1::GetCheckpointRequest request;
    request.set_customer(customer);
    request.set_name(name);
    if (partition != nullptr) *request.mutable_partition() = *partition;
    grpc::ClientContext context;
    PrepareContext(context, header_);
    v1::GetCheckpointResponse response;
    grpc::Status status = stub_->GetCheckpoint(&context, request, &response);
    if (out != nullptr) *out = response.checkpoint();
    return status;
  }

  grpc::Status List(const v1::ListCheckpointsRequest& request,
                    v1::ListCheckpointsResponse* response) {
    grpc::ClientContext context;
    PrepareContext(context, header_);
    return stub_->ListCheckpoints(&context, request, response);
  }

  grpc::Status Delete(const std::string& customer, const std::string& name,
                      bool* existed = nullptr) {
    v1::DeleteCheckpointRequest request;
    request.set_customer(customer);
    request.set_name(name);
    grpc::ClientContext context;
    PrepareContext(context, header_);
    v1::DeleteCheckpointResponse response;
    grpc::Status status = stub_->DeleteCheckpoint(&context, request, &response);
    if (existed != nullptr) *existed = response.existed();
    return status;
  }

 private:
  std::unique_ptr<v1::EventStoreService::Stub> stub_;
  AuthorizationHeader header_;
};

// Customers kA (5 events of kStream) and kB (none) on a production-mode
// server, and a consumer token of kA.
struct World {
  World()
      : server(EvstoredProcessOptions::ExplicitCustomers()),
        calls(server),
        admin_calls(server) {
    admin_calls.CreateCustomer(kA);
    admin_calls.CreateCustomer(kB);
    admin = Bearer(server.AdminToken());
    const Outcome appended =
        calls.Append(admin, SingleWrite(kA, kStream, 1, 1, 5));
    INFO(appended);
    REQUIRE(appended.code == grpc::StatusCode::OK);
    consumer_a =
        Bearer(admin_calls.CreateToken(v1::ROLE_CONSUMER, {kA}).secret);
    consumer_b =
        Bearer(admin_calls.CreateToken(v1::ROLE_CONSUMER, {kB}).secret);
  }
  EvstoredProcess server;
  RawCalls calls;
  AdminCalls admin_calls;
  AuthorizationHeader admin;
  AuthorizationHeader consumer_a;
  AuthorizationHeader consumer_b;
};

TEST_CASE("a consumer commits gets lists and deletes its checkpoints") {
  World world;
  CheckpointCalls consumer(world.server, world.consumer_a);

  v1::Checkpoint stored;
  grpc::Status committed =
      consumer.Commit(kA, "loader", 3, false, nullptr, &stored);
  INFO(committed.error_message());
  REQUIRE(committed.ok());
  CHECK(stored.name() == "loader");
  CHECK(stored.position() == 3);
  CHECK_FALSE(stored.has_partition());
  CHECK(stored.committed_at().seconds() > 1'700'000'000);

  v1::Checkpoint read;
  REQUIRE(consumer.Get(kA, "loader", &read).ok());
  CHECK(read.position() == 3);
  CHECK(read.committed_at().seconds() == stored.committed_at().seconds());
  CHECK(read.committed_at().nanos() == stored.committed_at().nanos());

  // Monotonic; equal is a no-op; backwards only when asked.
  grpc::Status backwards = consumer.Commit(kA, "loader", 2);
  CHECK(backwards.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK_THAT(backwards.error_message(), Contains("is at position 3"));
  v1::Checkpoint again;
  REQUIRE(consumer.Commit(kA, "loader", 3, false, nullptr, &again).ok());
  CHECK(again.committed_at().nanos() == stored.committed_at().nanos());
  REQUIRE(consumer.Commit(kA, "loader", 2, true).ok());
  REQUIRE(consumer.Get(kA, "loader", &read).ok());
  CHECK(read.position() == 2);

  // Beyond the head (5).
  REQUIRE(consumer.Commit(kA, "loader", 5).ok());
  grpc::Status beyond = consumer.Commit(kA, "loader", 6);
  CHECK(beyond.error_code() == grpc::StatusCode::OUT_OF_RANGE);
  CHECK_THAT(beyond.error_message(), Contains("beyond the head"));

  // Per partition: a separate checkpoint of the same name.
  v1::Partition one_of_four;
  one_of_four.set_index(1);
  one_of_four.set_count(4);
  v1::Checkpoint partitioned;
  REQUIRE(
      consumer.Commit(kA, "loader", 1, false, &one_of_four, &partitioned).ok());
  CHECK(partitioned.partition().index() == 1);
  CHECK(partitioned.partition().count() == 4);
  REQUIRE(consumer.Get(kA, "loader", &read, &one_of_four).ok());
  CHECK(read.position() == 1);
  REQUIRE(consumer.Get(kA, "loader", &read).ok());
  CHECK(read.position() == 5);

  // Listing, one per page, in order: "a-first", "loader", "loader" 1/4.
  REQUIRE(consumer.Commit(kA, "a-first", 4).ok());
  std::vector<std::string> listed;
  v1::ListCheckpointsRequest list;
  list.set_customer(kA);
  list.set_page_size(1);
  int pages = 0;
  while (true) {
    v1::ListCheckpointsResponse page;
    grpc::Status status = consumer.List(list, &page);
    INFO(status.error_message());
    REQUIRE(status.ok());
    ++pages;
    for (const v1::Checkpoint& c : page.checkpoints()) {
      listed.push_back(c.name() + "@" + std::to_string(c.position()) + "/" +
                       std::to_string(c.partition().count()));
    }
    if (page.next_page_token().empty()) break;
    list.set_page_token(page.next_page_token());
    REQUIRE(pages < 10);
  }
  CHECK(listed ==
        std::vector<std::string>{"a-first@4/0", "loader@5/0", "loader@1/4"});
  v1::ListCheckpointsRequest prefixed;
  prefixed.set_customer(kA);
  prefixed.set_name_prefix("lo");
  v1::ListCheckpointsResponse only_loader;
  REQUIRE(consumer.List(prefixed, &only_loader).ok());
  CHECK(only_loader.checkpoints_size() == 2);
  CHECK(only_loader.next_page_token().empty());

  bool existed = false;
  REQUIRE(consumer.Delete(kA, "a-first", &existed).ok());
  CHECK(existed);
  REQUIRE(consumer.Delete(kA, "a-first", &existed).ok());
  CHECK_FALSE(existed);
  CHECK(consumer.Get(kA, "a-first").error_code() ==
        grpc::StatusCode::NOT_FOUND);
}

TEST_CASE("checkpoint requests are validated naming the field") {
  World world;
  CheckpointCalls consumer(world.server, world.consumer_a);
  grpc::Status bad_name = consumer.Commit(kA, "has space", 1);
  CHECK(bad_name.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK_THAT(bad_name.error_message(), Contains("name:"));
  CHECK(consumer.Get(kA, "").error_code() ==
        grpc::StatusCode::INVALID_ARGUMENT);
  v1::Partition bad;
  bad.set_index(4);
  bad.set_count(4);
  grpc::Status bad_partition = consumer.Commit(kA, "loader", 1, false, &bad);
  CHECK(bad_partition.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK_THAT(bad_partition.error_message(), Contains("partition.index"));
  bad.set_index(0);
  bad.set_count(1025);
  CHECK_THAT(consumer.Commit(kA, "loader", 1, false, &bad).error_message(),
             Contains("partition.count"));
  v1::ListCheckpointsRequest list;
  list.set_customer(kA);
  list.set_page_token("garbage");
  v1::ListCheckpointsResponse page;
  grpc::Status bad_token = consumer.List(list, &page);
  CHECK(bad_token.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK_THAT(bad_token.error_message(), Contains("page_token"));
  list.set_page_token("");
  list.set_page_size(1001);
  CHECK_THAT(consumer.List(list, &page).error_message(), Contains("page_size"));
}

TEST_CASE("checkpoints of an unknown customer are NOT_FOUND for an admin") {
  World world;
  CheckpointCalls admin(world.server, world.admin);
  CHECK(admin.Commit("nobody", "loader", 0).error_code() ==
        grpc::StatusCode::NOT_FOUND);
  CHECK(admin.Get("nobody", "loader").error_code() ==
        grpc::StatusCode::NOT_FOUND);
  v1::ListCheckpointsRequest list;
  list.set_customer("nobody");
  v1::ListCheckpointsResponse page;
  CHECK(admin.List(list, &page).error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK(admin.Delete("nobody", "loader").error_code() ==
        grpc::StatusCode::NOT_FOUND);
  // The admin may use any customer's checkpoints.
  CHECK(admin.Commit(kA, "admin-replay", 5).ok());
}

TEST_CASE(
    "a consumer of another customer learns nothing about its checkpoints") {
  World world;
  CheckpointCalls owner(world.server, world.consumer_a);
  CheckpointCalls outsider(world.server, world.consumer_b);
  CheckpointCalls producer(
      world.server,
      Bearer(world.admin_calls.CreateToken(v1::ROLE_PRODUCER, {kA}).secret));
  // The same answers whether the checkpoint (or the customer) exists.
  auto answers = [&](const std::string& customer) {
    std::vector<std::string> out;
    for (const grpc::Status& status : {outsider.Commit(customer, "loader", 1),
                                       outsider.Get(customer, "loader"),
                                       outsider.Delete(customer, "loader")}) {
      out.push_back(std::to_string(status.error_code()) + " " +
                    status.error_message());
    }
    return out;
  };
  const std::vector<std::string> before = answers(kA);
  REQUIRE(owner.Commit(kA, "loader", 2).ok());
  const std::vector<std::string> after = answers(kA);
  CHECK(before == after);
  CHECK_THAT(before[0], Contains(std::to_string(grpc::PERMISSION_DENIED)));
  const std::vector<std::string> absent = answers("gamma-heat");
  for (size_t i = 0; i < absent.size(); ++i) {
    CHECK_THAT(absent[i], Contains(std::to_string(grpc::PERMISSION_DENIED)));
  }
  // Producers have no access to checkpoints.
  CHECK(producer.Get(kA, "loader").error_code() ==
        grpc::StatusCode::PERMISSION_DENIED);
  // The checkpoint is untouched.
  v1::Checkpoint read;
  REQUIRE(owner.Get(kA, "loader", &read).ok());
  CHECK(read.position() == 2);
}

// Subscribes with `request` (as the admin) and returns the positions of the
// events received until caught_up, and the caught_up position.
std::vector<uint64_t> UntilCaughtUp(client::Client& client,
                                    const v1::SubscribeRequest& request,
                                    uint64_t* caught_up) {
  std::unique_ptr<client::Subscription> subscription =
      client.Subscribe(request);
  std::vector<uint64_t> positions;
  while (true) {
    absl::StatusOr<v1::SubscribeResponse> message =
        subscription->Next(absl::Seconds(20));
    INFO(message.status());
    REQUIRE(message.ok());
    for (const v1::RecordedEvent& event : message->events().events()) {
      positions.push_back(event.position());
    }
    if (message->has_caught_up()) {
      *caught_up = message->caught_up().position();
      return positions;
    }
  }
}

TEST_CASE("a subscription resumes after an existing checkpoint") {
  World world;
  CheckpointCalls admin(world.server, world.admin);
  REQUIRE(admin.Commit(kA, "loader", 3).ok());
  std::unique_ptr<client::Client> client = world.server.Connect();
  v1::SubscribeRequest request;
  request.set_customer(kA);
  request.set_checkpoint("loader");
  request.set_checkpoint_default(v1::SUBSCRIBE_START_END);  // Not used.
  uint64_t caught_up = 0;
  CHECK(UntilCaughtUp(*client, request, &caught_up) ==
        std::vector<uint64_t>{4, 5});
  CHECK(caught_up == 5);
}

TEST_CASE("a subscription from a missing checkpoint starts at its default") {
  World world;
  std::unique_ptr<client::Client> client = world.server.Connect();
  v1::SubscribeRequest request;
  request.set_customer(kA);
  request.set_checkpoint("never-committed");
  uint64_t caught_up = 0;
  CHECK(UntilCaughtUp(*client, request, &caught_up) ==
        std::vector<uint64_t>{1, 2, 3, 4, 5});
  CHECK(caught_up == 5);

  request.set_checkpoint_default(v1::SUBSCRIBE_START_END);
  std::unique_ptr<client::Subscription> at_end = client->Subscribe(request);
  absl::StatusOr<v1::SubscribeResponse> first = at_end->Next(absl::Seconds(20));
  REQUIRE(first.ok());
  REQUIRE(first->has_caught_up());
  CHECK(first->caught_up().position() == 5);
  MustAppend(*client, SingleWrite(kA, kStream, 2, 1, 1));
  absl::StatusOr<v1::SubscribeResponse> next = at_end->Next(absl::Seconds(20));
  REQUIRE(next.ok());
  REQUIRE(next->events().events_size() == 1);
  CHECK(next->events().events(0).position() == 6);
}

TEST_CASE("a subscription cannot combine a checkpoint with a start") {
  World world;
  std::unique_ptr<client::Client> client = world.server.Connect();
  v1::SubscribeRequest request;
  request.set_customer(kA);
  request.set_checkpoint("loader");
  request.set_after_position(2);
  absl::StatusOr<v1::SubscribeResponse> message =
      client->Subscribe(request)->Next(absl::Seconds(20));
  CHECK(message.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(message.status().message()), Contains("checkpoint"));

  v1::SubscribeRequest bad_name;
  bad_name.set_customer(kA);
  bad_name.set_checkpoint("no spaces allowed");
  CHECK(client->Subscribe(bad_name)->Next(absl::Seconds(20)).status().code() ==
        absl::StatusCode::kInvalidArgument);
}

TEST_CASE("deleting a customer deletes its checkpoints") {
  World world;
  CheckpointCalls admin(world.server, world.admin);
  REQUIRE(admin.Commit(kA, "loader", 4).ok());
  world.admin_calls.DeleteCustomer(kA);
  CHECK(admin.Get(kA, "loader").error_code() == grpc::StatusCode::NOT_FOUND);
  world.admin_calls.CreateCustomer(kA);
  grpc::Status after = admin.Get(kA, "loader");
  CHECK(after.error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK_THAT(after.error_message(), Contains("checkpoint"));
}

TEST_CASE("checkpoint commits are counted by result code") {
  World world;
  CheckpointCalls consumer(world.server, world.consumer_a);
  REQUIRE(consumer.Commit(kA, "loader", 1).ok());
  REQUIRE(consumer.Commit(kA, "loader", 2).ok());
  REQUIRE_FALSE(consumer.Commit(kA, "loader", 99).ok());  // OUT_OF_RANGE
  REQUIRE(world.server.metrics_port() > 0);
  absl::StatusOr<std::string> text =
      HttpGet(world.server.metrics_port(), "/metrics");
  REQUIRE(text.ok());
  const std::map<std::string, double> samples = ParseSamples(*text);
  CHECK(SampleValue(samples, "evstore_checkpoint_commits_total{code=\"OK\"}") ==
        2);
  CHECK(SampleValue(
            samples,
            "evstore_checkpoint_commits_total{code=\"OUT_OF_RANGE\"}") == 1);
}

}  // namespace
}  // namespace evstore::testing
