// Raw-stub helpers of the retention and stream deletion tests: appends of
// sizeable events, feed reads and subscriptions that expose the status and
// trailing metadata, SetCustomerRetention and GetCustomer, and the size of
// the data directory.
#ifndef EVSTORE_TESTS_INTEGRATION_RETENTION_SUPPORT_H_
#define EVSTORE_TESTS_INTEGRATION_RETENTION_SUPPORT_H_

#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "evstore/v1/admin.grpc.pb.h"
#include "evstore/v1/evstore.grpc.pb.h"
#include "tests/integration/evstored_process.h"
#include "tests/integration/test_events.h"

namespace evstore::testing {

// A call's status and the `first-available-position` trailer (0: absent).
struct FloorOutcome {
  grpc::Status status;
  uint64_t first_available = 0;
};

inline uint64_t FirstAvailableTrailer(const grpc::ClientContext& context) {
  const auto& trailers = context.GetServerTrailingMetadata();
  auto it = trailers.find("first-available-position");
  if (it == trailers.end()) return 0;
  return std::stoull(std::string(it->second.data(), it->second.size()));
}

// A channel with a subchannel pool of its own. gRPC shares subchannels
// between channels with equal arguments process-wide; a server restarted on
// a port an earlier server of the test had (ephemeral ports are reused)
// would be reached through the earlier server's broken subchannel, failing
// calls with UNAVAILABLE until its reconnect backoff ends.
inline std::shared_ptr<grpc::Channel> OwnChannel(const std::string& address) {
  grpc::ChannelArguments arguments;
  arguments.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(),
                                   arguments);
}

class RetentionCalls {
 public:
  explicit RetentionCalls(const EvstoredProcess& server)
      : token_(server.AdminToken()),
        channel_(OwnChannel(server.address())),
        events_(v1::EventStoreService::NewStub(channel_)),
        admin_(v1::AdminService::NewStub(channel_)) {}

  void Prepare(grpc::ClientContext& context) const {
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(60));
    context.AddMetadata("authorization", "Bearer " + token_);
  }

  v1::EventStoreService::Stub& events() { return *events_; }

  // Appends `count` events of `data_bytes` incompressible bytes to `stream`
  // (ids TestUuid(series, first_n...)), one append; requires success.
  v1::AppendResponse AppendBlobs(const std::string& customer,
                                 const std::string& stream, uint32_t series,
                                 uint64_t first_n, int count,
                                 size_t data_bytes) {
    v1::AppendRequest request;
    request.set_customer(customer);
    v1::StreamWrite* write = request.add_writes();
    write->set_stream(stream);
    std::mt19937_64 random(series * 1'000'003 + first_n);
    for (int i = 0; i < count; ++i) {
      v1::ProposedEvent* event = write->add_events();
      event->set_id(TestUuid(series, first_n + i));
      event->set_type("BlobStored");
      event->set_content_type("application/octet-stream");
      std::string data(data_bytes, '\0');
      for (char& c : data) c = static_cast<char>(random());
      event->set_data(std::move(data));
    }
    return MustAppend(request);
  }

  v1::AppendResponse MustAppend(const v1::AppendRequest& request) {
    grpc::ClientContext context;
    Prepare(context);
    v1::AppendResponse response;
    const grpc::Status status = events_->Append(&context, request, &response);
    INFO(status.error_message());
    REQUIRE(status.ok());
    return response;
  }

  // Reads the feed from `start` forwards (at most `max_count`).
  FloorOutcome ReadFeed(const std::string& customer, uint64_t start,
                        uint64_t max_count,
                        std::vector<v1::RecordedEvent>* out = nullptr) {
    v1::ReadRequest request;
    request.set_customer(customer);
    request.set_start(start);
    request.set_max_count(max_count);
    request.set_include_data(false);
    grpc::ClientContext context;
    Prepare(context);
    auto reader = events_->Read(&context, request);
    v1::ReadResponse response;
    while (reader->Read(&response)) {
      for (const v1::RecordedEvent& event : response.events()) {
        if (out != nullptr) out->push_back(event);
      }
    }
    FloorOutcome outcome{reader->Finish(), 0};
    outcome.first_available = FirstAvailableTrailer(context);
    return outcome;
  }

  // The first response of a subscription (or its status when it fails
  // before one).
  FloorOutcome SubscribeFirst(const v1::SubscribeRequest& request,
                              v1::SubscribeResponse* first) {
    grpc::ClientContext context;
    Prepare(context);
    auto reader = events_->Subscribe(&context, request);
    if (reader->Read(first)) {
      context.TryCancel();
      v1::SubscribeResponse rest;
      while (reader->Read(&rest)) {
      }
      (void)reader->Finish();
      return FloorOutcome{grpc::Status::OK, 0};
    }
    FloorOutcome outcome{reader->Finish(), 0};
    outcome.first_available = FirstAvailableTrailer(context);
    return outcome;
  }

  v1::Customer SetRetention(const std::string& customer,
                            uint64_t max_age_seconds, uint64_t max_bytes) {
    v1::SetCustomerRetentionRequest request;
    request.set_customer(customer);
    request.mutable_retention()->set_max_age_seconds(max_age_seconds);
    request.mutable_retention()->set_max_bytes(max_bytes);
    grpc::ClientContext context;
    Prepare(context);
    v1::SetCustomerRetentionResponse response;
    const grpc::Status status =
        admin_->SetCustomerRetention(&context, request, &response);
    INFO(status.error_message());
    REQUIRE(status.ok());
    return response.customer();
  }

  v1::Customer GetCustomer(const std::string& customer) {
    v1::GetCustomerRequest request;
    request.set_customer(customer);
    grpc::ClientContext context;
    Prepare(context);
    v1::GetCustomerResponse response;
    const grpc::Status status =
        admin_->GetCustomer(&context, request, &response);
    INFO(status.error_message());
    REQUIRE(status.ok());
    return response.customer();
  }

  // Polls GetCustomer until first_retained_position reaches `at_least`
  // (generous 60 s); returns the last value seen.
  uint64_t AwaitFirstRetained(const std::string& customer, uint64_t at_least) {
    uint64_t seen = 0;
    for (int i = 0; i < 600; ++i) {
      seen = GetCustomer(customer).first_retained_position();
      if (seen >= at_least) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return seen;
  }

 private:
  std::string token_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::EventStoreService::Stub> events_;
  std::unique_ptr<v1::AdminService::Stub> admin_;
};

// Bytes of the regular files under `dir`.
inline uint64_t DirectoryBytes(const std::string& dir) {
  uint64_t bytes = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    std::error_code ec;
    if (entry.is_regular_file(ec)) bytes += entry.file_size(ec);
  }
  return bytes;
}

}  // namespace evstore::testing

#endif  // EVSTORE_TESTS_INTEGRATION_RETENTION_SUPPORT_H_
