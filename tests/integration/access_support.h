// Calls of every EventStoreService RPC on the raw stub with any
// `authorization` metadata (or none), reduced to their outcome, for the
// access-control tests; and the admin setup they need (customers, tokens).
#ifndef EVSTORE_TESTS_INTEGRATION_ACCESS_SUPPORT_H_
#define EVSTORE_TESTS_INTEGRATION_ACCESS_SUPPORT_H_

#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "client/admin_client.h"
#include "evstore/v1/admin.grpc.pb.h"
#include "evstore/v1/evstore.grpc.pb.h"
#include "tests/integration/evstored_process.h"
#include "tests/integration/test_events.h"

namespace evstore::testing {

// What a call came to: its status code and message, and for a successful
// read how many events it returned (to tell "found" from "empty").
struct Outcome {
  grpc::StatusCode code = grpc::StatusCode::OK;
  std::string message;
  size_t events = 0;

  bool operator==(const Outcome&) const = default;
};

inline std::ostream& operator<<(std::ostream& out, const Outcome& outcome) {
  return out << "{code " << static_cast<int>(outcome.code) << ", \""
             << outcome.message << "\", " << outcome.events << " events}";
}

// The value of the `authorization` metadata a call carries (nullopt: none).
using AuthorizationHeader = std::optional<std::string>;

inline AuthorizationHeader Bearer(const std::string& token) {
  return "Bearer " + token;
}

inline void PrepareContext(grpc::ClientContext& context,
                           const AuthorizationHeader& header) {
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(20));
  if (header) context.AddMetadata("authorization", *header);
}

inline Outcome OutcomeOf(const grpc::Status& status, size_t events = 0) {
  return Outcome{.code = status.error_code(),
                 .message = status.error_message(),
                 .events = status.ok() ? events : 0};
}

// The raw EventStoreService stub, so that any metadata can be sent.
class RawCalls {
 public:
  explicit RawCalls(const EvstoredProcess& server)
      : stub_(v1::EventStoreService::NewStub(grpc::CreateChannel(
            server.address(), grpc::InsecureChannelCredentials()))) {}

  Outcome Append(const AuthorizationHeader& header,
                 const v1::AppendRequest& request) {
    grpc::ClientContext context;
    PrepareContext(context, header);
    v1::AppendResponse response;
    return OutcomeOf(stub_->Append(&context, request, &response));
  }

  // One append in a new session: the append's own result (an AppendError's
  // code and message), or the session's status when it ended without one.
  Outcome SessionAppend(const AuthorizationHeader& header,
                        const v1::AppendRequest& request) {
    grpc::ClientContext context;
    PrepareContext(context, header);
    auto stream = stub_->AppendSession(&context);
    v1::AppendSessionRequest message;
    v1::SessionAppend* append = message.add_appends();
    append->set_correlation_id(7);
    *append->mutable_append() = request;
    std::optional<Outcome> result;
    if (stream->Write(message)) {
      v1::AppendSessionResponse response;
      if (stream->Read(&response) && response.results_size() == 1) {
        const v1::AppendSessionResult& first = response.results(0);
        result = first.has_success()
                     ? Outcome{}
                     : Outcome{.code = static_cast<grpc::StatusCode>(
                                   first.error().code()),
                               .message = first.error().message(),
                               .events = 0};
      }
    }
    stream->WritesDone();
    v1::AppendSessionResponse rest;
    while (stream->Read(&rest)) {
    }
    const grpc::Status status = stream->Finish();
    return result ? *result : OutcomeOf(status);
  }

  Outcome Read(const AuthorizationHeader& header,
               const v1::ReadRequest& request) {
    grpc::ClientContext context;
    PrepareContext(context, header);
    auto reader = stub_->Read(&context, request);
    v1::ReadResponse batch;
    size_t events = 0;
    while (reader->Read(&batch)) events += batch.events_size();
    return OutcomeOf(reader->Finish(), events);
  }

  Outcome GetEvents(const AuthorizationHeader& header,
                    const v1::GetEventsRequest& request) {
    grpc::ClientContext context;
    PrepareContext(context, header);
    v1::GetEventsResponse response;
    const grpc::Status status = stub_->GetEvents(&context, request, &response);
    return OutcomeOf(status, static_cast<size_t>(response.events_size()));
  }

  // OK with the events of the first message when the subscription delivers
  // one (it is then cancelled); else the status it ended with.
  Outcome Subscribe(const AuthorizationHeader& header,
                    const v1::SubscribeRequest& request) {
    grpc::ClientContext context;
    PrepareContext(context, header);
    auto reader = stub_->Subscribe(&context, request);
    v1::SubscribeResponse first;
    if (reader->Read(&first)) {
      context.TryCancel();
      v1::SubscribeResponse rest;
      while (reader->Read(&rest)) {
      }
      (void)reader->Finish();
      return Outcome{
          .code = grpc::StatusCode::OK,
          .message = {},
          .events = static_cast<size_t>(first.events().events_size())};
    }
    return OutcomeOf(reader->Finish());
  }

  Outcome DeleteStream(const AuthorizationHeader& header,
                       const v1::DeleteStreamRequest& request) {
    grpc::ClientContext context;
    PrepareContext(context, header);
    v1::DeleteStreamResponse response;
    return OutcomeOf(stub_->DeleteStream(&context, request, &response));
  }

 private:
  std::unique_ptr<v1::EventStoreService::Stub> stub_;
};

// The AdminService through AdminClient with the server's admin token: sets
// up the customers and tokens of the access tests. ListCustomers also on
// the raw stub, with any metadata, for the permission matrix.
class AdminCalls {
 public:
  explicit AdminCalls(const EvstoredProcess& server)
      : stub_(v1::AdminService::NewStub(grpc::CreateChannel(
            server.address(), grpc::InsecureChannelCredentials()))) {
    auto admin = client::AdminClient::Connect(
        {.address = server.address(), .token = server.AdminToken()});
    REQUIRE(admin.ok());
    admin_ = *std::move(admin);
  }

  void CreateCustomer(const std::string& customer) {
    v1::CreateCustomerRequest request;
    request.set_customer(customer);
    const auto created = admin_->CreateCustomer(request);
    INFO(created.status().ToString());
    REQUIRE(created.ok());
  }

  void DeleteCustomer(const std::string& customer) {
    v1::DeleteCustomerRequest request;
    request.set_customer(customer);
    request.set_confirm_customer(customer);
    const auto deleted = admin_->DeleteCustomer(request);
    INFO(deleted.status().ToString());
    REQUIRE(deleted.ok());
  }

  struct Token {
    std::string secret;
    std::string id;
  };
  Token CreateToken(v1::Role role, const std::vector<std::string>& customers) {
    v1::CreateTokenRequest request;
    request.set_role(role);
    for (const std::string& customer : customers) {
      request.add_customers(customer);
    }
    request.set_description("access test");
    const auto created = admin_->CreateToken(request);
    INFO(created.status().ToString());
    REQUIRE(created.ok());
    return Token{.secret = created->token(), .id = created->info().token_id()};
  }

  void RevokeToken(const std::string& token_id) {
    v1::RevokeTokenRequest request;
    request.set_token_id(token_id);
    const auto revoked = admin_->RevokeToken(request);
    INFO(revoked.status().ToString());
    REQUIRE(revoked.ok());
  }

  // ListCustomers with any metadata (for the permission matrix).
  Outcome ListCustomers(const AuthorizationHeader& header) {
    grpc::ClientContext context;
    PrepareContext(context, header);
    v1::ListCustomersRequest request;
    v1::ListCustomersResponse response;
    const grpc::Status status =
        stub_->ListCustomers(&context, request, &response);
    return OutcomeOf(status, static_cast<size_t>(response.customers_size()));
  }

  // CreateToken with any metadata: a consumer token for `customer`.
  Outcome CreateConsumerToken(const AuthorizationHeader& header,
                              const std::string& customer) {
    grpc::ClientContext context;
    PrepareContext(context, header);
    v1::CreateTokenRequest request;
    request.set_role(v1::ROLE_CONSUMER);
    request.add_customers(customer);
    v1::CreateTokenResponse response;
    return OutcomeOf(stub_->CreateToken(&context, request, &response));
  }

 private:
  std::unique_ptr<v1::AdminService::Stub> stub_;
  std::unique_ptr<client::AdminClient> admin_;
};

}  // namespace evstore::testing

#endif  // EVSTORE_TESTS_INTEGRATION_ACCESS_SUPPORT_H_
