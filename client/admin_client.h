// The evstore administration client: a thin, typed layer over the
// AdminService gRPC contract (proto/evstore/v1/admin.proto), for managing
// customers and access tokens. Every call needs an admin token
// (ClientOptions::token).
//
// Errors: as Client (evstore_client.h): the gRPC status code and message of
// the failed call as an absl::Status: UNAUTHENTICATED, PERMISSION_DENIED,
// INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS, UNAVAILABLE, or
// DEADLINE_EXCEEDED.
//
// Example:
//   absl::StatusOr<std::unique_ptr<evstore::client::AdminClient>> admin =
//       evstore::client::AdminClient::Connect(
//           {.address = "127.0.0.1:50051", .token = admin_token});
//   if (!admin.ok()) return admin.status();
//   evstore::v1::CreateCustomerRequest request;
//   request.set_customer("orsted-dk");
//   absl::StatusOr<evstore::v1::CreateCustomerResponse> created =
//       (*admin)->CreateCustomer(request);
#ifndef EVSTORE_CLIENT_ADMIN_CLIENT_H_
#define EVSTORE_CLIENT_ADMIN_CLIENT_H_

#include <grpcpp/channel.h>

#include <memory>

#include "absl/status/statusor.h"
#include "client/evstore_client.h"
#include "evstore/v1/admin.grpc.pb.h"

namespace evstore::client {

// A connection to the AdminService of one evstore server.
//
// Thread-safety: safe for concurrent use by multiple threads without
// external synchronization.
class AdminClient {
 public:
  // Connects as Client::Connect does (same options, same errors); each call
  // has options.default_deadline and sends options.token.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<AdminClient>> Connect(
      const ClientOptions& options);

  // Uses the channel of an existing connection (e.g. Client::channel()).
  AdminClient(const ClientOptions& options,
              std::shared_ptr<grpc::Channel> channel);

  AdminClient(const AdminClient&) = delete;
  AdminClient& operator=(const AdminClient&) = delete;

  [[nodiscard]] absl::StatusOr<v1::CreateCustomerResponse> CreateCustomer(
      const v1::CreateCustomerRequest& request) const;
  [[nodiscard]] absl::StatusOr<v1::GetCustomerResponse> GetCustomer(
      const v1::GetCustomerRequest& request) const;
  // One page; pass next_page_token back as page_token for the next one.
  [[nodiscard]] absl::StatusOr<v1::ListCustomersResponse> ListCustomers(
      const v1::ListCustomersRequest& request) const;
  [[nodiscard]] absl::StatusOr<v1::DeleteCustomerResponse> DeleteCustomer(
      const v1::DeleteCustomerRequest& request) const;
  // The response holds the token's secret: it is shown this once only.
  [[nodiscard]] absl::StatusOr<v1::CreateTokenResponse> CreateToken(
      const v1::CreateTokenRequest& request) const;
  // One page; pass next_page_token back as page_token for the next one.
  [[nodiscard]] absl::StatusOr<v1::ListTokensResponse> ListTokens(
      const v1::ListTokensRequest& request) const;
  [[nodiscard]] absl::StatusOr<v1::RevokeTokenResponse> RevokeToken(
      const v1::RevokeTokenRequest& request) const;
  // Replaces the customer's quota; the response describes the customer.
  [[nodiscard]] absl::StatusOr<v1::SetCustomerQuotaResponse> SetCustomerQuota(
      const v1::SetCustomerQuotaRequest& request) const;
  // Replaces the customer's retention policy (see
  // AdminService.SetCustomerRetention); the response describes the customer.
  [[nodiscard]] absl::StatusOr<v1::SetCustomerRetentionResponse>
  SetCustomerRetention(const v1::SetCustomerRetentionRequest& request) const;
  // Writes a backup into a new directory on the SERVER's file system (see
  // AdminService.CreateBackup). Takes as long as the backup: the options'
  // deadline applies.
  [[nodiscard]] absl::StatusOr<v1::CreateBackupResponse> CreateBackup(
      const v1::CreateBackupRequest& request) const;

 private:
  // Calls `method` of the stub with the deadline and token of the options.
  template <typename Request, typename Response, typename Method>
  absl::StatusOr<Response> Call(Method method, const Request& request) const;

  // Constant after construction.
  const ClientOptions options_;
  const std::shared_ptr<grpc::Channel> channel_;
  const std::unique_ptr<v1::AdminService::Stub> stub_;
};

}  // namespace evstore::client

#endif  // EVSTORE_CLIENT_ADMIN_CLIENT_H_
