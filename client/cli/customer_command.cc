// evstore customer: create, describe, list and delete customers (Admin API).

#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "client/cli/admin_json.h"
#include "client/cli/commands.h"

namespace evstore::cli {
namespace {

constexpr absl::string_view kName = "customer";

// The customer id argument of `evstore customer <action> <id>`.
absl::StatusOr<std::string> CustomerArgument(const ParsedArgs& args) {
  const std::vector<std::string>& arguments = args.arguments();
  if (arguments.size() < 2) {
    return absl::InvalidArgumentError(absl::StrCat(
        "give the customer id: evstore customer ", arguments[0], " <id>"));
  }
  if (arguments.size() > 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("unexpected argument '", arguments[2], "'"));
  }
  return arguments[1];
}

// Prints the customer of `response`, or reports its error: exit code
// kExitNotFound for a customer that does not exist.
template <typename Response>
int PrintCustomer(const absl::StatusOr<Response>& response) {
  if (!response.ok()) {
    const int exit_code = ReportRpcError(response.status());
    return absl::IsNotFound(response.status()) ? kExitNotFound : exit_code;
  }
  WriteLine(CustomerToJson(response->customer()));
  return kExitOk;
}

int RunCreate(const client::AdminClient& admin, const std::string& customer) {
  v1::CreateCustomerRequest request;
  request.set_customer(customer);
  return PrintCustomer(admin.CreateCustomer(request));
}

int RunGet(const client::AdminClient& admin, const std::string& customer) {
  v1::GetCustomerRequest request;
  request.set_customer(customer);
  return PrintCustomer(admin.GetCustomer(request));
}

int RunList(const client::AdminClient& admin) {
  v1::ListCustomersRequest request;
  do {
    absl::StatusOr<v1::ListCustomersResponse> response =
        admin.ListCustomers(request);
    if (!response.ok()) return ReportRpcError(response.status());
    for (const v1::Customer& customer : response->customers()) {
      WriteLine(CustomerToJson(customer));
    }
    request.set_page_token(response->next_page_token());
  } while (!request.page_token().empty());
  return kExitOk;
}

int RunDelete(const client::AdminClient& admin, const std::string& customer,
              const std::string& confirm) {
  v1::DeleteCustomerRequest request;
  request.set_customer(customer);
  request.set_confirm_customer(confirm);
  absl::StatusOr<v1::DeleteCustomerResponse> response =
      admin.DeleteCustomer(request);
  if (!response.ok()) return ReportRpcError(response.status());
  WriteLine(DeletedCustomerToJson(customer, response->revoked_tokens()));
  return kExitOk;
}

// The flags of set-quota and the CustomerQuota field each sets.
struct QuotaFlag {
  const char* name;
  void (v1::CustomerQuota::*set)(uint64_t);
};
constexpr QuotaFlag kQuotaFlags[] = {
    {"events-per-second", &v1::CustomerQuota::set_append_events_per_second},
    {"bytes-per-second", &v1::CustomerQuota::set_append_bytes_per_second},
    {"events-burst", &v1::CustomerQuota::set_append_events_burst},
    {"bytes-burst", &v1::CustomerQuota::set_append_bytes_burst},
    {"max-subscriptions", &v1::CustomerQuota::set_max_subscriptions},
    {"max-stored-bytes", &v1::CustomerQuota::set_max_stored_bytes},
};

// The quota the set-quota flags describe (absent flags: 0, unlimited).
absl::StatusOr<v1::CustomerQuota> QuotaFromFlags(const ParsedArgs& args) {
  v1::CustomerQuota quota;
  for (const QuotaFlag& flag : kQuotaFlags) {
    std::optional<std::string> text = args.Value(flag.name);
    if (!text.has_value()) continue;
    uint64_t value = 0;
    if (!absl::SimpleAtoi(*text, &value)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--", flag.name, " '", *text, "' is not a non-negative integer"));
    }
    (quota.*flag.set)(value);
  }
  return quota;
}

int RunSetQuota(const client::AdminClient& admin, const std::string& customer,
                const v1::CustomerQuota& quota) {
  v1::SetCustomerQuotaRequest request;
  request.set_customer(customer);
  *request.mutable_quota() = quota;
  return PrintCustomer(admin.SetCustomerQuota(request));
}

int RunCustomer(const GlobalOptions& global, const ParsedArgs& args) {
  if (args.arguments().empty()) {
    return ReportUsageError(kName,
                            "give an action: create, get, list or delete");
  }
  const std::string& action = args.arguments()[0];
  if (action != "create" && action != "get" && action != "list" &&
      action != "delete" && action != "set-quota") {
    return ReportUsageError(
        kName,
        absl::StrCat("unknown action '", action,
                     "' (expected create, get, list, delete or set-quota)"));
  }
  if (args.Has("confirm") && action != "delete") {
    return ReportUsageError(kName, "--confirm is only for delete");
  }
  for (const QuotaFlag& flag : kQuotaFlags) {
    if (args.Has(flag.name) && action != "set-quota") {
      return ReportUsageError(
          kName, absl::StrCat("--", flag.name, " is only for set-quota"));
    }
  }
  absl::StatusOr<v1::CustomerQuota> quota = QuotaFromFlags(args);
  if (!quota.ok()) return ReportUsageError(kName, quota.status().message());
  std::string customer;
  if (action == "list") {
    if (args.arguments().size() > 1) {
      return ReportUsageError(
          kName, absl::StrCat("unexpected argument '", args.arguments()[1],
                              "' (list takes none)"));
    }
  } else {
    absl::StatusOr<std::string> id = CustomerArgument(args);
    if (!id.ok()) return ReportUsageError(kName, id.status().message());
    customer = *std::move(id);
  }
  const std::string confirm = args.Value("confirm").value_or("");
  if (action == "delete" && confirm != customer) {
    return ReportUsageError(
        kName, confirm.empty()
                   ? absl::StrCat("deleting removes all data of '", customer,
                                  "': repeat its id with --confirm ", customer)
                   : absl::StrCat("--confirm '", confirm, "' does not match '",
                                  customer, "'; nothing was deleted"));
  }

  absl::StatusOr<std::unique_ptr<client::AdminClient>> admin =
      ConnectAdminClient(global);
  if (!admin.ok()) return ReportRpcError(admin.status());
  if (action == "create") return RunCreate(**admin, customer);
  if (action == "get") return RunGet(**admin, customer);
  if (action == "list") return RunList(**admin);
  if (action == "set-quota") return RunSetQuota(**admin, customer, *quota);
  return RunDelete(**admin, customer, confirm);
}

}  // namespace

Command CustomerCommand() {
  return Command{
      .spec =
          {
              .name = kName,
              .summary = "Create, show, list or delete customers (admin).",
              .usage = "evstore customer create|get|delete <id> "
                       "[--confirm <id>] | evstore customer list | evstore "
                       "customer set-quota <id> [--events-per-second N] ...",
              .description =
                  "Manages customers through the Admin API (needs an admin "
                  "token: --token,\n"
                  "EVSTORE_TOKEN or --data_dir of a local server).\n"
                  "  create <id>                 creates an empty customer\n"
                  "  get <id>                    shows one (exit 3 when it "
                  "does not exist)\n"
                  "  list                        lists all, in id order\n"
                  "  delete <id> --confirm <id>  deletes it with ALL of its "
                  "data (events,\n"
                  "                              streams, ids) and revokes "
                  "the tokens bound\n"
                  "                              only to it; cannot be "
                  "undone\n"
                  "  set-quota <id> [limits]     replaces its quota with the "
                  "given limits;\n"
                  "                              a limit not given (or 0) is "
                  "unlimited\n"
                  "Customers are printed as NDJSON: {\"customer\":...,"
                  "\"headPosition\":...,\"createdAt\":...,\"quota\":{...}};"
                  "\n"
                  "delete prints {\"customer\":...,\"revokedTokens\":N}.",
              .examples = "evstore --data_dir /var/lib/evstore customer "
                          "create orsted-dk\n"
                          "evstore customer get orsted-dk\n"
                          "evstore customer list\n"
                          "evstore customer delete orsted-dk --confirm "
                          "orsted-dk\n"
                          "evstore customer set-quota orsted-dk "
                          "--events-per-second 500 --events-burst 2000 "
                          "--max-subscriptions 10",
              .flags =
                  {
                      {.name = "confirm",
                       .value_name = "ID",
                       .help = "delete: the customer id again (required)."},
                      {.name = "events-per-second",
                       .value_name = "N",
                       .help = "set-quota: sustained appended events per "
                               "second."},
                      {.name = "bytes-per-second",
                       .value_name = "N",
                       .help = "set-quota: sustained appended bytes (data, "
                               "type, metadata) per second."},
                      {.name = "events-burst",
                       .value_name = "N",
                       .help = "set-quota: events an idle customer may "
                               "append at once (default: one second's "
                               "worth)."},
                      {.name = "bytes-burst",
                       .value_name = "N",
                       .help = "set-quota: the same in bytes."},
                      {.name = "max-subscriptions",
                       .value_name = "N",
                       .help = "set-quota: concurrent subscriptions."},
                      {.name = "max-stored-bytes",
                       .value_name = "N",
                       .help = "set-quota: stored event bytes at which "
                               "appends are refused."},
                  },
              .takes_arguments = true,
              .needs_customer = false,
          },
      .run = &RunCustomer,
  };
}

}  // namespace evstore::cli
