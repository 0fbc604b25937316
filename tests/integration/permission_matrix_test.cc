// Access control of every EventStoreService RPC against a real evstored:
// one table of RPC x role -> status code; a consumer cannot tell whether
// another customer's data exists; revocation and customer deletion end
// open subscriptions.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/integration/access_support.h"
#include "tests/integration/evstored_process.h"
#include "tests/integration/test_events.h"

namespace evstore::testing {
namespace {

constexpr char kA[] = "alpha-gas";
constexpr char kB[] = "beta-power";
constexpr char kStream[] = "contract/DS000068/nominations";

constexpr grpc::StatusCode OK = grpc::StatusCode::OK;
constexpr grpc::StatusCode DENIED = grpc::StatusCode::PERMISSION_DENIED;
constexpr grpc::StatusCode UNAUTH = grpc::StatusCode::UNAUTHENTICATED;

// The RPCs of the table, each aimed at one customer.
enum Rpc {
  kAppend,
  kAppendSession,
  kReadFeed,
  kReadStream,
  kGetEventsById,
  kGetEventsByPosition,
  kSubscribe,
  kDeleteStream,
  kRpcCount
};
constexpr const char* kRpcNames[kRpcCount] = {
    "Append",          "AppendSession",         "Read (feed)", "Read (stream)",
    "GetEvents (ids)", "GetEvents (positions)", "Subscribe",   "DeleteStream"};

// Every customer has its event TestUuid(1, 1) at position 1 of kStream.
Outcome Call(RawCalls& calls, Rpc rpc, const AuthorizationHeader& header,
             const std::string& customer, uint32_t* series) {
  switch (rpc) {
    case kAppend:
      return calls.Append(header,
                          SingleWrite(customer, kStream, ++*series, 1, 1));
    case kAppendSession:
      return calls.SessionAppend(
          header, SingleWrite(customer, kStream, ++*series, 1, 1));
    case kReadFeed: {
      v1::ReadRequest request;
      request.set_customer(customer);
      request.set_max_count(1);
      return calls.Read(header, request);
    }
    case kReadStream: {
      v1::ReadRequest request;
      request.set_customer(customer);
      request.set_stream(kStream);
      request.set_max_count(1);
      return calls.Read(header, request);
    }
    case kGetEventsById: {
      v1::GetEventsRequest request;
      request.set_customer(customer);
      request.add_ids(TestUuid(1, 1));
      return calls.GetEvents(header, request);
    }
    case kGetEventsByPosition: {
      v1::GetEventsRequest request;
      request.set_customer(customer);
      request.add_positions(1);
      return calls.GetEvents(header, request);
    }
    case kSubscribe: {
      v1::SubscribeRequest request;
      request.set_customer(customer);
      return calls.Subscribe(header, request);
    }
    case kDeleteStream: {
      // Another stream: the rows after it still read kStream's event.
      v1::DeleteStreamRequest request;
      request.set_customer(customer);
      request.set_stream("scratch/stream");
      request.set_mode(v1::DELETE_STREAM_MODE_TRUNCATE);
      return calls.DeleteStream(header, request);
    }
    case kRpcCount:
      break;
  }
  FAIL("unknown rpc");
  return {};
}

bool ReturnsEvents(Rpc rpc) {
  return rpc != kAppend && rpc != kAppendSession && rpc != kDeleteStream;
}

// Customers kA and kB, each with one event (TestUuid(1, 1), position 1 of
// kStream), and one token per role.
struct World {
  explicit World(const EvstoredProcess& server) : calls(server), admin(server) {
    admin.CreateCustomer(kA);
    admin.CreateCustomer(kB);
    const AuthorizationHeader admin_header = Bearer(server.AdminToken());
    for (const char* customer : {kA, kB}) {
      const Outcome appended =
          calls.Append(admin_header, SingleWrite(customer, kStream, 1, 1, 1));
      INFO(appended);
      REQUIRE(appended.code == OK);
    }
    const AdminCalls::Token revoked = admin.CreateToken(v1::ROLE_PRODUCER, {});
    admin.RevokeToken(revoked.id);
    roles = {
        {"admin", admin_header},
        {"producer", Bearer(admin.CreateToken(v1::ROLE_PRODUCER, {}).secret)},
        {"producer of A",
         Bearer(admin.CreateToken(v1::ROLE_PRODUCER, {kA}).secret)},
        {"consumer of A",
         Bearer(admin.CreateToken(v1::ROLE_CONSUMER, {kA}).secret)},
        {"consumer of B",
         Bearer(admin.CreateToken(v1::ROLE_CONSUMER, {kB}).secret)},
        {"revoked token", Bearer(revoked.secret)},
        {"no token", std::nullopt},
        {"garbage token", "Bearer 0xdeadbeef"},
        {"unknown evs_ token", Bearer("evs_" + std::string(43, 'A'))},
        {"malformed header", "Basic x"},
    };
  }

  const AuthorizationHeader& HeaderOf(const std::string& role) const {
    for (const auto& [name, header] : roles) {
      if (name == role) return header;
    }
    FAIL("no role " << role);
    return roles.front().second;
  }

  RawCalls calls;
  AdminCalls admin;
  std::vector<std::pair<std::string, AuthorizationHeader>> roles;
};

TEST_CASE("permission matrix: every RPC for every role") {
  EvstoredProcess server(EvstoredProcessOptions::ExplicitCustomers());
  World world(server);

  struct Row {
    const char* role;
    const char* customer;
    grpc::StatusCode expected[kRpcCount];
  };
  // clang-format off
  const Row kTable[] = {
    // role                 customer Append  Session Feed    Stream  ById    ByPos   Subscr. Delete
    {"admin",               kA, {OK,     OK,     OK,     OK,     OK,     OK,     OK,     OK}},
    {"admin",               kB, {OK,     OK,     OK,     OK,     OK,     OK,     OK,     OK}},
    {"producer",            kA, {OK,     OK,     OK,     OK,     OK,     OK,     DENIED, OK}},
    {"producer",            kB, {OK,     OK,     OK,     OK,     OK,     OK,     DENIED, OK}},
    {"producer of A",       kA, {OK,     OK,     OK,     OK,     OK,     OK,     DENIED, OK}},
    {"producer of A",       kB, {DENIED, DENIED, DENIED, DENIED, DENIED, DENIED, DENIED, DENIED}},
    {"consumer of A",       kA, {DENIED, DENIED, OK,     OK,     OK,     OK,     OK,     DENIED}},
    {"consumer of A",       kB, {DENIED, DENIED, DENIED, DENIED, DENIED, DENIED, DENIED, DENIED}},
    {"consumer of B",       kA, {DENIED, DENIED, DENIED, DENIED, DENIED, DENIED, DENIED, DENIED}},
    {"consumer of B",       kB, {DENIED, DENIED, OK,     OK,     OK,     OK,     OK,     DENIED}},
    {"revoked token",       kA, {UNAUTH, UNAUTH, UNAUTH, UNAUTH, UNAUTH, UNAUTH, UNAUTH, UNAUTH}},
    {"no token",            kA, {UNAUTH, UNAUTH, UNAUTH, UNAUTH, UNAUTH, UNAUTH, UNAUTH, UNAUTH}},
    {"garbage token",       kA, {UNAUTH, UNAUTH, UNAUTH, UNAUTH, UNAUTH, UNAUTH, UNAUTH, UNAUTH}},
    {"unknown evs_ token",  kA, {UNAUTH, UNAUTH, UNAUTH, UNAUTH, UNAUTH, UNAUTH, UNAUTH, UNAUTH}},
    {"malformed header",    kA, {UNAUTH, UNAUTH, UNAUTH, UNAUTH, UNAUTH, UNAUTH, UNAUTH, UNAUTH}},
  };
  // clang-format on

  uint32_t series = 100;
  for (const Row& row : kTable) {
    for (int rpc = 0; rpc < kRpcCount; ++rpc) {
      const Outcome outcome =
          Call(world.calls, static_cast<Rpc>(rpc), world.HeaderOf(row.role),
               row.customer, &series);
      INFO(row.role << " x " << kRpcNames[rpc] << " on " << row.customer << ": "
                    << outcome);
      CHECK(outcome.code == row.expected[rpc]);
      // Allowed reads really return the customer's data.
      if (outcome.code == OK && ReturnsEvents(static_cast<Rpc>(rpc))) {
        CHECK(outcome.events >= 1);
      }
    }
  }

  // AdminService: admin tokens only (one read and one write RPC; every
  // AdminService handler goes through the same check).
  struct AdminRow {
    const char* role;
    grpc::StatusCode list_customers;
    grpc::StatusCode create_token;
  };
  // clang-format off
  const AdminRow kAdminTable[] = {
    // role                 ListCustomers CreateToken
    {"admin",               OK,           OK},
    {"producer",            DENIED,       DENIED},
    {"producer of A",       DENIED,       DENIED},
    {"consumer of A",       DENIED,       DENIED},
    {"consumer of B",       DENIED,       DENIED},
    {"revoked token",       UNAUTH,       UNAUTH},
    {"no token",            UNAUTH,       UNAUTH},
    {"garbage token",       UNAUTH,       UNAUTH},
    {"unknown evs_ token",  UNAUTH,       UNAUTH},
    {"malformed header",    UNAUTH,       UNAUTH},
  };
  // clang-format on
  for (const AdminRow& row : kAdminTable) {
    const AuthorizationHeader& header = world.HeaderOf(row.role);
    const Outcome listed = world.admin.ListCustomers(header);
    INFO(row.role << " x Admin.ListCustomers: " << listed);
    CHECK(listed.code == row.list_customers);
    if (listed.code == OK) CHECK(listed.events == 2);  // kA and kB.
    const Outcome created = world.admin.CreateConsumerToken(header, kA);
    INFO(row.role << " x Admin.CreateToken: " << created);
    CHECK(created.code == row.create_token);
  }
}

// The checkpoint RPCs, each aimed at one customer.
enum CheckpointRpc {
  kCommitCheckpoint,
  kGetCheckpoint,
  kListCheckpoints,
  kDeleteCheckpoint,
  kCheckpointRpcCount
};
constexpr const char* kCheckpointRpcNames[kCheckpointRpcCount] = {
    "CommitCheckpoint", "GetCheckpoint", "ListCheckpoints", "DeleteCheckpoint"};

// Every customer has the checkpoint "loader" at position 1 (Get finds it;
// Delete removes it, so the world re-commits it after each row).
Outcome CallCheckpoint(v1::EventStoreService::Stub& stub, CheckpointRpc rpc,
                       const AuthorizationHeader& header,
                       const std::string& customer) {
  grpc::ClientContext context;
  PrepareContext(context, header);
  switch (rpc) {
    case kCommitCheckpoint: {
      v1::CommitCheckpointRequest request;
      request.set_customer(customer);
      request.set_name("loader");
      request.set_position(1);
      v1::CommitCheckpointResponse response;
      return OutcomeOf(stub.CommitCheckpoint(&context, request, &response));
    }
    case kGetCheckpoint: {
      v1::GetCheckpointRequest request;
      request.set_customer(customer);
      request.set_name("loader");
      v1::GetCheckpointResponse response;
      return OutcomeOf(stub.GetCheckpoint(&context, request, &response));
    }
    case kListCheckpoints: {
      v1::ListCheckpointsRequest request;
      request.set_customer(customer);
      v1::ListCheckpointsResponse response;
      const grpc::Status status =
          stub.ListCheckpoints(&context, request, &response);
      return OutcomeOf(status,
                       static_cast<size_t>(response.checkpoints_size()));
    }
    case kDeleteCheckpoint: {
      v1::DeleteCheckpointRequest request;
      request.set_customer(customer);
      request.set_name("loader");
      v1::DeleteCheckpointResponse response;
      return OutcomeOf(stub.DeleteCheckpoint(&context, request, &response));
    }
    case kCheckpointRpcCount:
      break;
  }
  FAIL("unknown rpc");
  return {};
}

TEST_CASE("permission matrix: checkpoint RPCs for every role") {
  EvstoredProcess server(EvstoredProcessOptions::ExplicitCustomers());
  World world(server);
  auto stub = v1::EventStoreService::NewStub(grpc::CreateChannel(
      server.address(), grpc::InsecureChannelCredentials()));
  const AuthorizationHeader& admin = world.HeaderOf("admin");
  auto recommit = [&] {
    for (const char* customer : {kA, kB}) {
      REQUIRE(CallCheckpoint(*stub, kCommitCheckpoint, admin, customer).code ==
              OK);
    }
  };
  recommit();

  struct Row {
    const char* role;
    const char* customer;
    grpc::StatusCode expected[kCheckpointRpcCount];
  };
  // clang-format off
  const Row kTable[] = {
    // role                 customer Commit  Get     List    Delete
    {"admin",               kA, {OK,     OK,     OK,     OK}},
    {"admin",               kB, {OK,     OK,     OK,     OK}},
    {"producer",            kA, {DENIED, DENIED, DENIED, DENIED}},
    {"producer of A",       kA, {DENIED, DENIED, DENIED, DENIED}},
    {"consumer of A",       kA, {OK,     OK,     OK,     OK}},
    {"consumer of A",       kB, {DENIED, DENIED, DENIED, DENIED}},
    {"consumer of B",       kA, {DENIED, DENIED, DENIED, DENIED}},
    {"consumer of B",       kB, {OK,     OK,     OK,     OK}},
    {"revoked token",       kA, {UNAUTH, UNAUTH, UNAUTH, UNAUTH}},
    {"no token",            kA, {UNAUTH, UNAUTH, UNAUTH, UNAUTH}},
    {"garbage token",       kA, {UNAUTH, UNAUTH, UNAUTH, UNAUTH}},
    {"unknown evs_ token",  kA, {UNAUTH, UNAUTH, UNAUTH, UNAUTH}},
    {"malformed header",    kA, {UNAUTH, UNAUTH, UNAUTH, UNAUTH}},
  };
  // clang-format on
  for (const Row& row : kTable) {
    for (int rpc = 0; rpc < kCheckpointRpcCount; ++rpc) {
      const Outcome outcome =
          CallCheckpoint(*stub, static_cast<CheckpointRpc>(rpc),
                         world.HeaderOf(row.role), row.customer);
      INFO(row.role << " x " << kCheckpointRpcNames[rpc] << " on "
                    << row.customer << ": " << outcome);
      CHECK(outcome.code == row.expected[rpc]);
      if (outcome.code == OK && rpc == kListCheckpoints) {
        CHECK(outcome.events == 1);
      }
    }
    recommit();
  }
}

// A third customer whose existence changes during the test.
constexpr char kC[] = "gamma-heat";

// What `header` gets from every RPC about kC (appends carry the ids of the
// event kC gets in the second state, so they are the same requests too).
std::vector<Outcome> AnswersAboutC(World& world,
                                   const AuthorizationHeader& header) {
  std::vector<Outcome> answers;
  for (int rpc = 0; rpc < kRpcCount; ++rpc) {
    uint32_t series = 0;  // Call uses series 1: TestUuid(1, 1).
    answers.push_back(
        Call(world.calls, static_cast<Rpc>(rpc), header, kC, &series));
  }
  return answers;
}

TEST_CASE(
    "a consumer of another customer cannot tell whether a customer stream or "
    "event exists") {
  EvstoredProcess server(EvstoredProcessOptions::ExplicitCustomers());
  World world(server);
  const AuthorizationHeader& outsider = world.HeaderOf("consumer of B");
  const AuthorizationHeader& admin = world.HeaderOf("admin");

  // kC in four states: never created, created and empty, with its event,
  // deleted. The outsider's answers are byte-identical in all of them,
  // while the admin's show that the states really differ.
  const std::vector<Outcome> never = AnswersAboutC(world, outsider);
  const std::vector<Outcome> admin_never = AnswersAboutC(world, admin);
  world.admin.CreateCustomer(kC);
  const std::vector<Outcome> empty = AnswersAboutC(world, outsider);
  v1::ReadRequest feed_of_c;
  feed_of_c.set_customer(kC);
  feed_of_c.set_max_count(100);
  const Outcome admin_empty = world.calls.Read(admin, feed_of_c);
  REQUIRE(world.calls.Append(admin, SingleWrite(kC, kStream, 1, 1, 1)).code ==
          OK);
  const std::vector<Outcome> with_event = AnswersAboutC(world, outsider);
  const Outcome admin_with_event = world.calls.Read(admin, feed_of_c);
  world.admin.DeleteCustomer(kC);
  const std::vector<Outcome> deleted = AnswersAboutC(world, outsider);
  const Outcome admin_deleted = world.calls.Read(admin, feed_of_c);

  for (int rpc = 0; rpc < kRpcCount; ++rpc) {
    INFO(kRpcNames[rpc] << ": never " << never[rpc] << ", empty " << empty[rpc]
                        << ", with event " << with_event[rpc] << ", deleted "
                        << deleted[rpc]);
    CHECK(never[rpc].code == DENIED);
    CHECK(empty[rpc] == never[rpc]);
    CHECK(with_event[rpc] == never[rpc]);
    CHECK(deleted[rpc] == never[rpc]);
  }
  INFO("admin: never " << admin_never[kReadFeed] << ", empty " << admin_empty
                       << ", with event " << admin_with_event << ", deleted "
                       << admin_deleted);
  CHECK(admin_never[kReadFeed].code == grpc::StatusCode::NOT_FOUND);
  CHECK(admin_never[kGetEventsById].code == grpc::StatusCode::NOT_FOUND);
  CHECK(admin_never[kSubscribe].code == grpc::StatusCode::NOT_FOUND);
  CHECK(admin_empty == Outcome{.code = OK, .message = {}, .events = 0});
  CHECK(admin_with_event == Outcome{.code = OK, .message = {}, .events = 1});
  CHECK(admin_deleted.code == grpc::StatusCode::NOT_FOUND);

  // Inside an existing customer: asking for an existing or a missing
  // stream, event id or position gets the same answer.
  v1::ReadRequest stream_read;
  stream_read.set_customer(kA);
  stream_read.set_stream(kStream);
  v1::ReadRequest missing_stream_read = stream_read;
  missing_stream_read.set_stream("contract/NOSUCH/nominations");
  CHECK(world.calls.Read(outsider, stream_read) ==
        world.calls.Read(outsider, missing_stream_read));
  v1::GetEventsRequest by_id;
  by_id.set_customer(kA);
  by_id.add_ids(TestUuid(1, 1));
  v1::GetEventsRequest by_missing_id = by_id;
  by_missing_id.set_ids(0, TestUuid(77, 77));
  CHECK(world.calls.GetEvents(outsider, by_id) ==
        world.calls.GetEvents(outsider, by_missing_id));
  v1::GetEventsRequest by_position;
  by_position.set_customer(kA);
  by_position.add_positions(1);
  v1::GetEventsRequest by_missing_position = by_position;
  by_missing_position.set_positions(0, 999);
  CHECK(world.calls.GetEvents(outsider, by_position) ==
        world.calls.GetEvents(outsider, by_missing_position));
  // The admin sees the difference.
  CHECK(world.calls.GetEvents(admin, by_id).events == 1);
  CHECK(world.calls.GetEvents(admin, by_missing_id).events == 0);
}

}  // namespace
}  // namespace evstore::testing
