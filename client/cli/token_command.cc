// evstore token: create, list and revoke access tokens (Admin API).

#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/cli/admin_json.h"
#include "client/cli/commands.h"

namespace evstore::cli {
namespace {

constexpr absl::string_view kName = "token";

// Prints the new token alone on stdout (so that `TOKEN=$(evstore token
// create ...)` captures exactly it), or everything as JSON with --json; the
// details go to stderr otherwise.
int RunCreate(const client::AdminClient& admin, const ParsedArgs& args) {
  if (!args.Has("role")) {
    return ReportUsageError(kName,
                            "token create needs --role admin, producer or "
                            "consumer");
  }
  const std::optional<v1::Role> role = ParseRoleName(*args.Value("role"));
  if (!role.has_value()) {
    return ReportUsageError(
        kName, absl::StrCat("--role: '", *args.Value("role"),
                            "' is not admin, producer or consumer"));
  }
  v1::CreateTokenRequest request;
  request.set_role(*role);
  for (const std::string& customer : SplitListValues(args.Values("customer"))) {
    request.add_customers(customer);
  }
  if (*role == v1::ROLE_CONSUMER && request.customers_size() != 1) {
    return ReportUsageError(kName,
                            "a consumer token needs exactly one --customer");
  }
  if (*role == v1::ROLE_ADMIN && request.customers_size() != 0) {
    return ReportUsageError(
        kName, "an admin token is not limited to customers: drop --customer");
  }
  request.set_description(args.Value("description").value_or(""));
  absl::StatusOr<v1::CreateTokenResponse> response = admin.CreateToken(request);
  if (!response.ok()) return ReportRpcError(response.status());
  if (args.Has("json")) {
    WriteLine(CreatedTokenToJson(*response));
    return kExitOk;
  }
  WriteLine(response->token());
  std::fflush(stdout);
  const v1::TokenInfo& info = response->info();
  const std::string customers =
      info.customers().empty()
          ? std::string("all customers")
          : absl::StrCat("customers ", absl::StrJoin(info.customers(), ", "));
  std::fprintf(stderr,
               "created %s token %s for %s; it is shown only this once: "
               "keep it secret\n",
               std::string(RoleName(info.role())).c_str(),
               info.token_id().c_str(), customers.c_str());
  return kExitOk;
}

int RunList(const client::AdminClient& admin, const ParsedArgs& args) {
  v1::ListTokensRequest request;
  request.set_customer(args.Value("customer").value_or(""));
  do {
    absl::StatusOr<v1::ListTokensResponse> response = admin.ListTokens(request);
    if (!response.ok()) return ReportRpcError(response.status());
    for (const v1::TokenInfo& info : response->tokens()) {
      WriteLine(TokenInfoToJson(info));
    }
    request.set_page_token(response->next_page_token());
  } while (!request.page_token().empty());
  return kExitOk;
}

int RunRevoke(const client::AdminClient& admin, const std::string& token_id) {
  v1::RevokeTokenRequest request;
  request.set_token_id(token_id);
  absl::StatusOr<v1::RevokeTokenResponse> response = admin.RevokeToken(request);
  if (!response.ok()) return ReportRpcError(response.status());
  std::fprintf(stderr, "revoked token %s\n", token_id.c_str());
  return kExitOk;
}

// Flags that only some actions take.
absl::Status CheckFlagsOf(absl::string_view action, const ParsedArgs& args) {
  for (absl::string_view flag : {"role", "description", "json"}) {
    if (args.Has(flag) && action != "create") {
      return absl::InvalidArgumentError(
          absl::StrCat("--", flag, " is only for token create"));
    }
  }
  if (args.Has("customer") && action == "revoke") {
    return absl::InvalidArgumentError("--customer is not for token revoke");
  }
  if (action == "list" && args.Values("customer").size() > 1) {
    return absl::InvalidArgumentError(
        "token list takes at most one --customer");
  }
  return absl::OkStatus();
}

int RunToken(const GlobalOptions& global, const ParsedArgs& args) {
  const std::vector<std::string>& arguments = args.arguments();
  if (arguments.empty()) {
    return ReportUsageError(kName, "give an action: create, list or revoke");
  }
  const std::string& action = arguments[0];
  if (action != "create" && action != "list" && action != "revoke") {
    return ReportUsageError(
        kName, absl::StrCat("unknown action '", action,
                            "' (expected create, list or revoke)"));
  }
  if (absl::Status s = CheckFlagsOf(action, args); !s.ok()) {
    return ReportUsageError(kName, s.message());
  }
  const size_t expected_arguments = action == "revoke" ? 2 : 1;
  if (arguments.size() < expected_arguments) {
    return ReportUsageError(
        kName, "give the token id: evstore token revoke <token_id>");
  }
  if (arguments.size() > expected_arguments) {
    return ReportUsageError(kName,
                            absl::StrCat("unexpected argument '",
                                         arguments[expected_arguments], "'"));
  }

  absl::StatusOr<std::unique_ptr<client::AdminClient>> admin =
      ConnectAdminClient(global);
  if (!admin.ok()) return ReportRpcError(admin.status());
  if (action == "create") return RunCreate(**admin, args);
  if (action == "list") return RunList(**admin, args);
  return RunRevoke(**admin, arguments[1]);
}

}  // namespace

Command TokenCommand() {
  return Command{
      .spec =
          {
              .name = kName,
              .summary = "Create, list or revoke access tokens (admin).",
              .usage = "evstore token create --role admin|producer|consumer "
                       "[--customer ID ...] [--description TEXT] [--json] | "
                       "evstore token list [--customer ID] | "
                       "evstore token revoke <token_id>",
              .description =
                  "Manages access tokens through the Admin API (needs an "
                  "admin token).\n"
                  "  create  creates a token and prints it ALONE on stdout "
                  "(details on\n"
                  "          stderr), so TOKEN=$(evstore token create ...) "
                  "captures it; with\n"
                  "          --json prints one JSON object with the token "
                  "and its details.\n"
                  "          The token is shown only this once: the server "
                  "keeps only its hash.\n"
                  "          Roles: admin (everything; no --customer), "
                  "producer (append, read\n"
                  "          and get for the listed customers, or all when "
                  "none is listed),\n"
                  "          consumer (read, get and tail of exactly one "
                  "--customer).\n"
                  "  list    prints the live tokens as NDJSON (never their "
                  "secrets), in token\n"
                  "          id order; --customer shows only the tokens that "
                  "name that customer.\n"
                  "  revoke  revokes a token by its id (tokenId in list); "
                  "effective at once.",
              .examples =
                  "evstore token create --role producer --description "
                  "platform\n"
                  "evstore token create --role consumer --customer orsted-dk "
                  "--description 'orsted-dk feed'\n"
                  "TOKEN=$(evstore token create --role consumer --customer "
                  "orsted-dk)\n"
                  "evstore token list --customer orsted-dk\n"
                  "evstore token revoke 3f9a0c1b2d4e",
              .flags =
                  {
                      {.name = "role",
                       .value_name = "ROLE",
                       .help = "create: admin, producer or consumer."},
                      {.name = "customer",
                       .value_name = "ID",
                       .help = "create: a customer the token is limited to\n"
                               "(repeatable, or comma-separated); list: "
                               "only\n"
                               "tokens naming this customer.",
                       .repeatable = true},
                      {.name = "description",
                       .value_name = "TEXT",
                       .help = "create: who or what holds the token (at "
                               "most\n"
                               "256 bytes)."},
                      {.name = "json",
                       .help = "create: print the token and its details as "
                               "JSON."},
                  },
              .takes_arguments = true,
              .needs_customer = false,
          },
      .run = &RunToken,
  };
}

}  // namespace evstore::cli
