// AdminService: the evstore.v1.AdminService (customers and access tokens) on
// the gRPC callback API. Every call is authenticated and must carry an admin
// token (checked before anything else). Calls that write to disk or wait for
// the commit thread run on a worker pool, never on a gRPC thread.
#ifndef EVSTORE_SERVER_ADMIN_SERVICE_H_
#define EVSTORE_SERVER_ADMIN_SERVICE_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/mutex.h"
#include "evstore/v1/admin.grpc.pb.h"
#include "server/authorizer.h"
#include "server/worker_pool.h"
#include "storage/event_log.h"

namespace evstore::server {

// To add an RPC: a handler that calls Admit first, then validates, then
// either answers at once (memory only) or hands the rest to RunBlocking.
class AdminService final : public v1::AdminService::CallbackService {
 public:
  // `log` and `pool` must outlive the service and every call it served: stop
  // the gRPC server first, then the pool, then the log. `pool` runs the
  // blocking parts (durable writes, waiting for the commit thread).
  AdminService(EventLog* log, WorkerPool* pool);
  AdminService(const AdminService&) = delete;
  AdminService& operator=(const AdminService&) = delete;

  grpc::ServerUnaryReactor* CreateCustomer(
      grpc::CallbackServerContext* context,
      const v1::CreateCustomerRequest* request,
      v1::CreateCustomerResponse* response) override;
  grpc::ServerUnaryReactor* GetCustomer(
      grpc::CallbackServerContext* context,
      const v1::GetCustomerRequest* request,
      v1::GetCustomerResponse* response) override;
  grpc::ServerUnaryReactor* ListCustomers(
      grpc::CallbackServerContext* context,
      const v1::ListCustomersRequest* request,
      v1::ListCustomersResponse* response) override;
  grpc::ServerUnaryReactor* DeleteCustomer(
      grpc::CallbackServerContext* context,
      const v1::DeleteCustomerRequest* request,
      v1::DeleteCustomerResponse* response) override;
  grpc::ServerUnaryReactor* CreateToken(
      grpc::CallbackServerContext* context,
      const v1::CreateTokenRequest* request,
      v1::CreateTokenResponse* response) override;
  grpc::ServerUnaryReactor* ListTokens(
      grpc::CallbackServerContext* context,
      const v1::ListTokensRequest* request,
      v1::ListTokensResponse* response) override;
  grpc::ServerUnaryReactor* RevokeToken(
      grpc::CallbackServerContext* context,
      const v1::RevokeTokenRequest* request,
      v1::RevokeTokenResponse* response) override;
  grpc::ServerUnaryReactor* SetCustomerQuota(
      grpc::CallbackServerContext* context,
      const v1::SetCustomerQuotaRequest* request,
      v1::SetCustomerQuotaResponse* response) override;
  // Runs on the pool for as long as the checkpoint takes (a flush and one
  // hard link or copy per file), holding one of its threads.
  grpc::ServerUnaryReactor* SetCustomerRetention(
      grpc::CallbackServerContext* context,
      const v1::SetCustomerRetentionRequest* request,
      v1::SetCustomerRetentionResponse* response) override;
  grpc::ServerUnaryReactor* CreateBackup(
      grpc::CallbackServerContext* context,
      const v1::CreateBackupRequest* request,
      v1::CreateBackupResponse* response) override;

 private:
  // The caller's token id (for the audit log) when the call carries a live
  // admin token; UNAUTHENTICATED or PERMISSION_DENIED otherwise.
  absl::StatusOr<std::string> Admit(
      const grpc::CallbackServerContext& context) const;

  // Runs `work` on the pool and finishes `reactor` with its outcome
  // (UNAVAILABLE when the pool is stopping).
  void RunBlocking(grpc::ServerUnaryReactor* reactor,
                   absl::AnyInvocable<absl::Status() &&> work);

  // The writes that must not interleave: a token created for a customer
  // while that customer is being deleted would outlive it (the delete
  // revokes the customer's tokens before it removes the data). Each blocks
  // until the write is durable.
  absl::Status CreateCustomerLocked(std::string_view customer,
                                    v1::Customer* out)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  absl::StatusOr<size_t> DeleteCustomerLocked(std::string_view customer)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  absl::Status CreateTokenLocked(const TokenRecord& record)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);

  // Constant after construction.
  EventLog* const log_;
  WorkerPool* const pool_;
  const Authorizer authorizer_;

  // Held for the whole of CreateCustomer, DeleteCustomer and CreateToken
  // (the set of customers and the tokens that name them).
  Mutex write_mu_;
};

}  // namespace evstore::server

#endif  // EVSTORE_SERVER_ADMIN_SERVICE_H_
