#include "server/admin_service.h"

#include <algorithm>
#include <future>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "server/admin_requests.h"
#include "server/call_authorization.h"
#include "server/status_mapping.h"
#include "spdlog/spdlog.h"
#include "storage/absl_string_view.h"
#include "storage/access_token.h"
#include "storage/names.h"

namespace evstore::server {
namespace {

grpc::ServerUnaryReactor* Finish(grpc::ServerUnaryReactor* reactor,
                                 const absl::Status& status) {
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

absl::Status CustomerNotFound(std::string_view customer) {
  return absl::NotFoundError(
      absl::StrCat("customer \"", AsAbsl(customer), "\" does not exist"));
}

}  // namespace

AdminService::AdminService(EventLog* log, WorkerPool* pool)
    : log_(log), pool_(pool), authorizer_(&log->tokens()) {}

absl::StatusOr<std::string> AdminService::Admit(
    const grpc::CallbackServerContext& context) const {
  absl::StatusOr<TokenRecord> caller =
      AuthorizeCall(authorizer_, context, Operation::kAdmin, "");
  if (!caller.ok()) return caller.status();
  return AccessTokenId(caller->hash);
}

void AdminService::RunBlocking(grpc::ServerUnaryReactor* reactor,
                               absl::AnyInvocable<absl::Status() &&> work) {
  const bool queued =
      pool_->Schedule([reactor, work = std::move(work)]() mutable {
        Finish(reactor, std::move(work)());
      });
  if (!queued) {
    Finish(reactor, absl::UnavailableError("server shutting down"));
  }
}

grpc::ServerUnaryReactor* AdminService::CreateCustomer(
    grpc::CallbackServerContext* context,
    const v1::CreateCustomerRequest* request,
    v1::CreateCustomerResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<std::string> caller = Admit(*context);
  if (!caller.ok()) return Finish(reactor, caller.status());
  if (absl::Status s = ValidateCustomerName(request->customer()); !s.ok()) {
    return Finish(reactor, s);
  }
  RunBlocking(reactor, [this, request, response, caller = *caller] {
    MutexLock lock(&write_mu_);
    absl::Status s =
        CreateCustomerLocked(request->customer(), response->mutable_customer());
    if (s.ok()) {
      spdlog::info("admin: token {} created customer {}", caller,
                   request->customer());
    }
    return s;
  });
  return reactor;
}

absl::Status AdminService::CreateCustomerLocked(std::string_view customer,
                                                v1::Customer* out) {
  std::promise<absl::Status> created;
  log_->CreateCustomer(customer, [&created](absl::Status status) {
    created.set_value(std::move(status));
  });
  if (absl::Status s = created.get_future().get(); !s.ok()) return s;
  // Deletes are serialised with this create: the customer still exists.
  std::optional<CustomerInfo> info = log_->Customer(customer);
  if (!info.has_value()) return CustomerNotFound(customer);
  ToProto(*info, out);
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* AdminService::GetCustomer(
    grpc::CallbackServerContext* context, const v1::GetCustomerRequest* request,
    v1::GetCustomerResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (absl::StatusOr<std::string> caller = Admit(*context); !caller.ok()) {
    return Finish(reactor, caller.status());
  }
  if (absl::Status s = ValidateCustomerName(request->customer()); !s.ok()) {
    return Finish(reactor, s);
  }
  std::optional<CustomerInfo> info = log_->Customer(request->customer());
  if (!info.has_value()) {
    return Finish(reactor, CustomerNotFound(request->customer()));
  }
  ToProto(*info, response->mutable_customer());
  return Finish(reactor, absl::OkStatus());
}

grpc::ServerUnaryReactor* AdminService::ListCustomers(
    grpc::CallbackServerContext* context,
    const v1::ListCustomersRequest* request,
    v1::ListCustomersResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (absl::StatusOr<std::string> caller = Admit(*context); !caller.ok()) {
    return Finish(reactor, caller.status());
  }
  absl::StatusOr<PageRequest> page = ParsePageRequest(
      PageKind::kCustomers, request->page_size(), request->page_token());
  if (!page.ok()) return Finish(reactor, page.status());
  // One more than a page tells whether another page follows.
  std::vector<CustomerInfo> customers =
      log_->Customers(page->after, page->size + 1);
  if (customers.size() > page->size) {
    customers.pop_back();
    response->set_next_page_token(
        EncodePageToken(PageKind::kCustomers, customers.back().name));
  }
  for (const CustomerInfo& customer : customers) {
    ToProto(customer, response->add_customers());
  }
  return Finish(reactor, absl::OkStatus());
}

grpc::ServerUnaryReactor* AdminService::DeleteCustomer(
    grpc::CallbackServerContext* context,
    const v1::DeleteCustomerRequest* request,
    v1::DeleteCustomerResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<std::string> caller = Admit(*context);
  if (!caller.ok()) return Finish(reactor, caller.status());
  if (absl::Status s = ValidateCustomerName(request->customer()); !s.ok()) {
    return Finish(reactor, s);
  }
  if (request->confirm_customer() != request->customer()) {
    return Finish(reactor,
                  absl::InvalidArgumentError(absl::StrCat(
                      "confirm_customer: must repeat the customer id \"",
                      request->customer(), "\"; nothing was deleted")));
  }
  RunBlocking(reactor, [this, request, response, caller = *caller] {
    MutexLock lock(&write_mu_);
    absl::StatusOr<size_t> revoked = DeleteCustomerLocked(request->customer());
    if (!revoked.ok()) return revoked.status();
    response->set_revoked_tokens(static_cast<uint32_t>(*revoked));
    spdlog::warn("admin: token {} deleted customer {} ({} tokens revoked)",
                 caller, request->customer(), *revoked);
    return absl::OkStatus();
  });
  return reactor;
}

absl::StatusOr<size_t> AdminService::DeleteCustomerLocked(
    std::string_view customer) {
  std::promise<absl::StatusOr<size_t>> deleted;
  log_->DeleteCustomer(customer, [&deleted](absl::StatusOr<size_t> revoked) {
    deleted.set_value(std::move(revoked));
  });
  return deleted.get_future().get();
}

grpc::ServerUnaryReactor* AdminService::CreateToken(
    grpc::CallbackServerContext* context, const v1::CreateTokenRequest* request,
    v1::CreateTokenResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<std::string> caller = Admit(*context);
  if (!caller.ok()) return Finish(reactor, caller.status());
  absl::StatusOr<std::string> token = GenerateAccessToken();
  if (!token.ok()) return Finish(reactor, token.status());
  absl::StatusOr<TokenRecord> record = NewTokenRecord(
      *request, HashAccessToken(*token), absl::ToUnixMicros(absl::Now()));
  if (!record.ok()) return Finish(reactor, record.status());
  RunBlocking(reactor,
              [this, response, caller = *caller, token = *std::move(token),
               record = *std::move(record)]() mutable {
                {
                  MutexLock lock(&write_mu_);
                  if (absl::Status s = CreateTokenLocked(record); !s.ok())
                    return s;
                }
                response->set_token(std::move(token));
                ToProto(record, response->mutable_info());
                spdlog::info("admin: token {} created token {} ({})", caller,
                             response->info().token_id(),
                             v1::Role_Name(response->info().role()));
                return absl::OkStatus();
              });
  return reactor;
}

absl::Status AdminService::CreateTokenLocked(const TokenRecord& record) {
  for (const std::string& customer : record.customers) {
    if (!log_->Customer(customer).has_value()) {
      return CustomerNotFound(customer);
    }
  }
  return log_->tokens().Create(record);
}

grpc::ServerUnaryReactor* AdminService::ListTokens(
    grpc::CallbackServerContext* context, const v1::ListTokensRequest* request,
    v1::ListTokensResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (absl::StatusOr<std::string> caller = Admit(*context); !caller.ok()) {
    return Finish(reactor, caller.status());
  }
  absl::StatusOr<PageRequest> page = ParsePageRequest(
      PageKind::kTokens, request->page_size(), request->page_token());
  if (!page.ok()) return Finish(reactor, page.status());
  const std::string& customer = request->customer();
  if (!customer.empty()) {
    if (absl::Status s = ValidateCustomerName(customer); !s.ok()) {
      return Finish(reactor, s);
    }
  }
  // In hash order, which is token id order (the id is the hash's hex
  // prefix).
  for (const TokenRecord& token : log_->tokens().List()) {
    const std::string id = AccessTokenId(token.hash);
    if (id <= page->after) continue;
    if (!customer.empty() &&
        std::find(token.customers.begin(), token.customers.end(), customer) ==
            token.customers.end()) {
      continue;
    }
    if (static_cast<size_t>(response->tokens_size()) == page->size) {
      response->set_next_page_token(EncodePageToken(
          PageKind::kTokens,
          response->tokens(response->tokens_size() - 1).token_id()));
      break;
    }
    ToProto(token, response->add_tokens());
  }
  return Finish(reactor, absl::OkStatus());
}

grpc::ServerUnaryReactor* AdminService::RevokeToken(
    grpc::CallbackServerContext* context, const v1::RevokeTokenRequest* request,
    v1::RevokeTokenResponse* /*response*/) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<std::string> caller = Admit(*context);
  if (!caller.ok()) return Finish(reactor, caller.status());
  if (absl::Status s = ValidateTokenId(request->token_id()); !s.ok()) {
    return Finish(reactor, s);
  }
  // TokenStore serialises its own writes; a revoke cannot break a customer
  // create or delete, so it does not take write_mu_.
  RunBlocking(reactor, [this, request, caller = *caller] {
    absl::Status s = log_->tokens().Revoke(request->token_id());
    if (s.ok()) {
      spdlog::info("admin: token {} revoked token {}", caller,
                   request->token_id());
    }
    return s;
  });
  return reactor;
}

grpc::ServerUnaryReactor* AdminService::SetCustomerQuota(
    grpc::CallbackServerContext* context,
    const v1::SetCustomerQuotaRequest* request,
    v1::SetCustomerQuotaResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<std::string> caller = Admit(*context);
  if (!caller.ok()) return Finish(reactor, caller.status());
  if (absl::Status s = ValidateCustomerName(request->customer()); !s.ok()) {
    return Finish(reactor, s);
  }
  absl::StatusOr<CustomerQuota> quota = FromProto(request->quota());
  if (!quota.ok()) return Finish(reactor, quota.status());
  RunBlocking(reactor, [this, request, response, quota = *quota,
                        caller = *caller] {
    // Serialised with deletes, so that the customer described below is the
    // one whose quota was set.
    MutexLock lock(&write_mu_);
    if (absl::Status s = log_->SetQuota(request->customer(), quota); !s.ok()) {
      return s;
    }
    std::optional<CustomerInfo> info = log_->Customer(request->customer());
    if (!info.has_value()) return CustomerNotFound(request->customer());
    ToProto(*info, response->mutable_customer());
    spdlog::info("admin: token {} set the quota of customer {}", caller,
                 request->customer());
    return absl::OkStatus();
  });
  return reactor;
}

grpc::ServerUnaryReactor* AdminService::SetCustomerRetention(
    grpc::CallbackServerContext* context,
    const v1::SetCustomerRetentionRequest* request,
    v1::SetCustomerRetentionResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<std::string> caller = Admit(*context);
  if (!caller.ok()) return Finish(reactor, caller.status());
  if (absl::Status s = ValidateCustomerName(request->customer()); !s.ok()) {
    return Finish(reactor, s);
  }
  const CustomerRetention retention{request->retention().max_age_seconds(),
                                    request->retention().max_bytes()};
  if (absl::Status s = ValidateCustomerRetention(retention); !s.ok()) {
    return Finish(reactor, s);
  }
  RunBlocking(reactor, [this, request, response, retention, caller = *caller] {
    MutexLock lock(&write_mu_);
    if (absl::Status s = log_->SetRetention(request->customer(), retention);
        !s.ok()) {
      return s;
    }
    std::optional<CustomerInfo> info = log_->Customer(request->customer());
    if (!info.has_value()) return CustomerNotFound(request->customer());
    ToProto(*info, response->mutable_customer());
    spdlog::info(
        "admin: token {} set the retention of customer {} (max_age_seconds "
        "{}, max_bytes {})",
        caller, request->customer(), retention.max_age_seconds,
        retention.max_bytes);
    return absl::OkStatus();
  });
  return reactor;
}

grpc::ServerUnaryReactor* AdminService::CreateBackup(
    grpc::CallbackServerContext* context,
    const v1::CreateBackupRequest* request,
    v1::CreateBackupResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<std::string> caller = Admit(*context);
  if (!caller.ok()) return Finish(reactor, caller.status());
  if (request->directory().empty()) {
    return Finish(reactor,
                  absl::InvalidArgumentError("directory: required (an "
                                             "absolute path on the server)"));
  }
  RunBlocking(reactor, [this, request, response, caller = *caller] {
    spdlog::info("admin: token {} started a backup to {}", caller,
                 request->directory());
    const absl::Time started = absl::Now();
    absl::StatusOr<BackupInfo> backup =
        log_->CreateBackup(request->directory());
    if (!backup.ok()) {
      spdlog::warn("admin: backup to {} failed: {}", request->directory(),
                   backup.status().ToString());
      return backup.status();
    }
    const absl::Duration took = absl::Now() - started;
    response->set_directory(request->directory());
    response->set_files(backup->files);
    response->set_bytes(backup->bytes);
    response->set_duration_ms(
        static_cast<uint64_t>(absl::ToInt64Milliseconds(took)));
    spdlog::info("admin: backup to {} done: {} files, {} bytes, {}",
                 request->directory(), backup->files, backup->bytes,
                 absl::FormatDuration(took));
    return absl::OkStatus();
  });
  return reactor;
}

}  // namespace evstore::server
