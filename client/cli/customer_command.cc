// evstore customer: create, describe, list and delete customers (Admin API).

#include <cstdio>
#include <string>
#include <vector>

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

int RunCreate(const client::AdminClient& admin, const std::string& customer) {
  v1::CreateCustomerRequest request;
  request.set_customer(customer);
  absl::StatusOr<v1::CreateCustomerResponse> response =
      admin.CreateCustomer(request);
  if (!response.ok()) return ReportRpcError(response.status());
  WriteLine(CustomerToJson(response->customer()));
  return kExitOk;
}

int RunGet(const client::AdminClient& admin, const std::string& customer) {
  v1::GetCustomerRequest request;
  request.set_customer(customer);
  absl::StatusOr<v1::GetCustomerResponse> response = admin.GetCustomer(request);
  if (absl::IsNotFound(response.status())) {
    ReportRpcError(response.status());
    return kExitNotFound;
  }
  if (!response.ok()) return ReportRpcError(response.status());
  WriteLine(CustomerToJson(response->customer()));
  return kExitOk;
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

int RunCustomer(const GlobalOptions& global, const ParsedArgs& args) {
  if (args.arguments().empty()) {
    return ReportUsageError(kName,
                            "give an action: create, get, list or delete");
  }
  const std::string& action = args.arguments()[0];
  if (action != "create" && action != "get" && action != "list" &&
      action != "delete") {
    return ReportUsageError(
        kName, absl::StrCat("unknown action '", action,
                            "' (expected create, get, list or delete)"));
  }
  if (args.Has("confirm") && action != "delete") {
    return ReportUsageError(kName, "--confirm is only for delete");
  }
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
                       "[--confirm <id>] | evstore customer list",
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
                  "Customers are printed as NDJSON: {\"customer\":...,"
                  "\"headPosition\":...,\"createdAt\":...};\n"
                  "delete prints {\"customer\":...,\"revokedTokens\":N}.",
              .examples = "evstore --data_dir /var/lib/evstore customer "
                          "create orsted-dk\n"
                          "evstore customer get orsted-dk\n"
                          "evstore customer list\n"
                          "evstore customer delete orsted-dk --confirm "
                          "orsted-dk",
              .flags =
                  {
                      {.name = "confirm",
                       .value_name = "ID",
                       .help = "delete: the customer id again (required)."},
                  },
              .takes_arguments = true,
              .needs_customer = false,
          },
      .run = &RunCustomer,
  };
}

}  // namespace evstore::cli
