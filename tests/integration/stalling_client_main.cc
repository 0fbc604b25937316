// evstore-stalling-client: a client process for tests that kill a client
// with SIGKILL in the middle of its streams.
//
// Usage: evstore-stalling-client ADDRESS CUSTOMER APPEND_CUSTOMER
//
// Opens, through the client library: 4 subscriptions of CUSTOMER's feed from
// the start that read one message each and then stop reading (their server
// writes stay pending), an AppendSession (of APPEND_CUSTOMER) with one
// acknowledged append and a second one sent without waiting for its reply, and
// a Read that consumes one batch and then stops. Then prints "ready" on stdout
// and sleeps until it is killed. Exit status 1 (with a message on stderr) when
// any step fails before "ready".
#include <unistd.h>

#include <cstdio>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/authorization.h"
#include "client/evstore_client.h"
#include "evstore/v1/evstore.grpc.pb.h"

namespace {

evstore::v1::AppendRequest OneEvent(const std::string& customer, int n) {
  evstore::v1::AppendRequest request;
  request.set_customer(customer);
  evstore::v1::StreamWrite* write = request.add_writes();
  write->set_stream("killed/client");
  evstore::v1::ProposedEvent* event = write->add_events();
  char id[40];
  std::snprintf(id, sizeof id, "dead0000-0000-4000-8000-%06d%06d",
                static_cast<int>(getpid() % 1000000), n);
  event->set_id(id);
  event->set_type("ClientKilled");
  event->set_data(R"({"n":)" + std::to_string(n) + "}");
  return request;
}

int Fail(const std::string& what) {
  std::fprintf(stderr, "evstore-stalling-client: %s\n", what.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    return Fail(
        "usage: evstore-stalling-client ADDRESS CUSTOMER APPEND_CUSTOMER "
        "TOKEN");
  }
  const std::string customer = argv[2];
  const std::string append_customer = argv[3];
  const std::string token = argv[4];
  absl::StatusOr<std::unique_ptr<evstore::client::Client>> client =
      evstore::client::Client::Connect({.address = argv[1], .token = token});
  if (!client.ok()) return Fail(client.status().ToString());

  std::vector<std::unique_ptr<evstore::client::Subscription>> subscriptions;
  for (int i = 0; i < 4; ++i) {
    evstore::v1::SubscribeRequest request;
    request.set_customer(customer);
    subscriptions.push_back(
        (*client)->Subscribe(request, {.max_queued_messages = 1}));
    absl::StatusOr<evstore::v1::SubscribeResponse> first =
        subscriptions.back()->Next(absl::Seconds(20));
    if (!first.ok()) return Fail("subscribe: " + first.status().ToString());
  }

  std::unique_ptr<evstore::client::AppendSession> session =
      (*client)->OpenAppendSession();
  absl::StatusOr<evstore::v1::AppendResponse> appended =
      session->Append(OneEvent(append_customer, 1)).get();
  if (!appended.ok()) return Fail("append: " + appended.status().ToString());
  std::future<absl::StatusOr<evstore::v1::AppendResponse>> in_flight =
      session->Append(OneEvent(append_customer, 2));

  std::unique_ptr<evstore::v1::EventStoreService::Stub> stub =
      evstore::v1::EventStoreService::NewStub((*client)->channel());
  grpc::ClientContext read_context;
  evstore::client::AddAuthorization(token, read_context);
  evstore::v1::ReadRequest read;
  read.set_customer(customer);
  read.set_max_count(UINT64_MAX);
  std::unique_ptr<grpc::ClientReader<evstore::v1::ReadResponse>> reader =
      stub->Read(&read_context, read);
  evstore::v1::ReadResponse batch;
  if (!reader->Read(&batch)) return Fail("read: no first batch");

  std::printf("ready\n");
  std::fflush(stdout);
  for (;;) pause();
}
