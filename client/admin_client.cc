#include "client/admin_client.h"

#include <grpcpp/client_context.h>

#include <utility>

#include "client/authorization.h"
#include "client/status_conversion.h"

namespace evstore::client {

absl::StatusOr<std::unique_ptr<AdminClient>> AdminClient::Connect(
    const ClientOptions& options) {
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Connect(options);
  if (!client.ok()) return client.status();
  return std::make_unique<AdminClient>(options, (*client)->channel());
}

AdminClient::AdminClient(const ClientOptions& options,
                         std::shared_ptr<grpc::Channel> channel)
    : options_(options),
      channel_(std::move(channel)),
      stub_(v1::AdminService::NewStub(channel_)) {}

template <typename Request, typename Response, typename Method>
absl::StatusOr<Response> AdminClient::Call(Method method,
                                           const Request& request) const {
  grpc::ClientContext context;
  if (options_.default_deadline != absl::InfiniteDuration()) {
    context.set_deadline(
        absl::ToChronoTime(absl::Now() + options_.default_deadline));
  }
  AddAuthorization(options_.token, context);
  Response response;
  const grpc::Status status =
      (stub_.get()->*method)(&context, request, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

absl::StatusOr<v1::CreateCustomerResponse> AdminClient::CreateCustomer(
    const v1::CreateCustomerRequest& request) const {
  return Call<v1::CreateCustomerRequest, v1::CreateCustomerResponse>(
      &v1::AdminService::Stub::CreateCustomer, request);
}

absl::StatusOr<v1::GetCustomerResponse> AdminClient::GetCustomer(
    const v1::GetCustomerRequest& request) const {
  return Call<v1::GetCustomerRequest, v1::GetCustomerResponse>(
      &v1::AdminService::Stub::GetCustomer, request);
}

absl::StatusOr<v1::ListCustomersResponse> AdminClient::ListCustomers(
    const v1::ListCustomersRequest& request) const {
  return Call<v1::ListCustomersRequest, v1::ListCustomersResponse>(
      &v1::AdminService::Stub::ListCustomers, request);
}

absl::StatusOr<v1::DeleteCustomerResponse> AdminClient::DeleteCustomer(
    const v1::DeleteCustomerRequest& request) const {
  return Call<v1::DeleteCustomerRequest, v1::DeleteCustomerResponse>(
      &v1::AdminService::Stub::DeleteCustomer, request);
}

absl::StatusOr<v1::CreateTokenResponse> AdminClient::CreateToken(
    const v1::CreateTokenRequest& request) const {
  return Call<v1::CreateTokenRequest, v1::CreateTokenResponse>(
      &v1::AdminService::Stub::CreateToken, request);
}

absl::StatusOr<v1::ListTokensResponse> AdminClient::ListTokens(
    const v1::ListTokensRequest& request) const {
  return Call<v1::ListTokensRequest, v1::ListTokensResponse>(
      &v1::AdminService::Stub::ListTokens, request);
}

absl::StatusOr<v1::RevokeTokenResponse> AdminClient::RevokeToken(
    const v1::RevokeTokenRequest& request) const {
  return Call<v1::RevokeTokenRequest, v1::RevokeTokenResponse>(
      &v1::AdminService::Stub::RevokeToken, request);
}

absl::StatusOr<v1::SetCustomerQuotaResponse> AdminClient::SetCustomerQuota(
    const v1::SetCustomerQuotaRequest& request) const {
  return Call<v1::SetCustomerQuotaRequest, v1::SetCustomerQuotaResponse>(
      &v1::AdminService::Stub::SetCustomerQuota, request);
}

absl::StatusOr<v1::SetCustomerRetentionResponse>
AdminClient::SetCustomerRetention(
    const v1::SetCustomerRetentionRequest& request) const {
  return Call<v1::SetCustomerRetentionRequest,
              v1::SetCustomerRetentionResponse>(
      &v1::AdminService::Stub::SetCustomerRetention, request);
}

absl::StatusOr<v1::CreateBackupResponse> AdminClient::CreateBackup(
    const v1::CreateBackupRequest& request) const {
  return Call<v1::CreateBackupRequest, v1::CreateBackupResponse>(
      &v1::AdminService::Stub::CreateBackup, request);
}

}  // namespace evstore::client
