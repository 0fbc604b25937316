// evstore retention: set or show a customer's retention policy (Admin API:
// SetCustomerRetention, GetCustomer).

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "client/cli/commands.h"
#include "client/cli/json_object.h"
#include "client/cli/output_format.h"

namespace evstore::cli {
namespace {

constexpr absl::string_view kName = "retention";

// A --max-age value: an absl duration ("72h", "90m") or whole days ("30d").
absl::StatusOr<std::uint64_t> ParseMaxAgeSeconds(absl::string_view text) {
  absl::Duration duration;
  absl::string_view days = text;
  std::uint64_t count = 0;
  if (absl::ConsumeSuffix(&days, "d") && absl::SimpleAtoi(days, &count) &&
      !absl::StartsWith(days, "-")) {
    return count * 86400;
  }
  if (!absl::ParseDuration(text, &duration) ||
      duration < absl::ZeroDuration() || duration == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--max-age: '", text, "' is not a duration (e.g. 30d, 72h, 0)"));
  }
  return static_cast<std::uint64_t>(absl::ToInt64Seconds(duration));
}

std::string RetentionToJson(const v1::Customer& customer) {
  JsonObject retention;
  retention.Number("maxAgeSeconds", customer.retention().max_age_seconds())
      .Number("maxBytes", customer.retention().max_bytes());
  JsonObject json;
  json.String("customer", customer.customer())
      .Raw("retention", std::move(retention).Finish())
      .Number("firstRetainedPosition", customer.first_retained_position())
      .Number("headPosition", customer.head_position());
  return std::move(json).Finish();
}

int Print(const absl::StatusOr<v1::Customer>& customer, OutputFormat format) {
  if (!customer.ok()) return ReportRpcError(customer.status());
  if (format == OutputFormat::kJson) {
    WriteLine(RetentionToJson(*customer));
    return kExitOk;
  }
  TextTable table(
      {"CUSTOMER", "MAX_AGE_SECONDS", "MAX_BYTES", "FIRST_RETAINED", "HEAD"});
  table.AddRow({customer->customer(),
                absl::StrCat(customer->retention().max_age_seconds()),
                absl::StrCat(customer->retention().max_bytes()),
                absl::StrCat(customer->first_retained_position()),
                absl::StrCat(customer->head_position())});
  table.Print();
  return kExitOk;
}

int RunRetention(const GlobalOptions& global, const ParsedArgs& args) {
  const std::vector<std::string>& arguments = args.arguments();
  if (arguments.empty() || (arguments[0] != "set" && arguments[0] != "get")) {
    return ReportUsageError(kName, "give an action: set or get");
  }
  if (arguments.size() > 2) {
    return ReportUsageError(
        kName, absl::StrCat("unexpected argument '", arguments[2], "'"));
  }
  const std::string customer =
      arguments.size() == 2 ? arguments[1] : global.customer;
  if (customer.empty()) {
    return ReportUsageError(kName,
                            "give the customer: evstore retention get <id>");
  }
  const bool set = arguments[0] == "set";
  if (!set && (args.Has("max-age") || args.Has("max-bytes"))) {
    return ReportUsageError(kName, "--max-age and --max-bytes are for set");
  }
  absl::StatusOr<OutputFormat> format = ParseOutputFormat(args);
  if (!format.ok()) return ReportUsageError(kName, format.status().message());
  v1::SetCustomerRetentionRequest request;
  request.set_customer(customer);
  if (std::optional<std::string> text = args.Value("max-age")) {
    absl::StatusOr<std::uint64_t> seconds = ParseMaxAgeSeconds(*text);
    if (!seconds.ok())
      return ReportUsageError(kName, seconds.status().message());
    request.mutable_retention()->set_max_age_seconds(*seconds);
  }
  if (std::optional<std::string> text = args.Value("max-bytes")) {
    absl::StatusOr<std::uint64_t> bytes = ParseUint64("max-bytes", *text);
    if (!bytes.ok()) return ReportUsageError(kName, bytes.status().message());
    request.mutable_retention()->set_max_bytes(*bytes);
  }

  absl::StatusOr<std::unique_ptr<client::AdminClient>> admin =
      ConnectAdminClient(global);
  if (!admin.ok()) return ReportRpcError(admin.status());
  if (set) {
    absl::StatusOr<v1::SetCustomerRetentionResponse> response =
        (*admin)->SetCustomerRetention(request);
    if (!response.ok()) return ReportRpcError(response.status());
    return Print(response->customer(), *format);
  }
  v1::GetCustomerRequest get;
  get.set_customer(customer);
  absl::StatusOr<v1::GetCustomerResponse> response = (*admin)->GetCustomer(get);
  if (!response.ok()) return ReportRpcError(response.status());
  return Print(response->customer(), *format);
}

}  // namespace

Command RetentionCommand() {
  return Command{
      .spec =
          {
              .name = kName,
              .summary = "Set or show a customer's retention policy (admin).",
              .usage = "evstore retention set <id> [--max-age D] "
                       "[--max-bytes N] | evstore retention get <id>",
              .description =
                  "Retention drops the oldest whole segments of a customer's "
                  "feed in the\n"
                  "background: those whose newest event is older than "
                  "--max-age, and, oldest\n"
                  "first, while the customer stores more than --max-bytes. "
                  "`set` replaces the\n"
                  "policy: a limit not given is 0, none; `set` without "
                  "limits keeps\n"
                  "everything. `get` shows the policy, the oldest position "
                  "that can still be\n"
                  "read and the head. Reading below it fails with exit 7. "
                  "Needs an admin\n"
                  "token. The customer is the argument, else --customer.",
              .examples =
                  "evstore retention set orsted-dk --max-age 30d\n"
                  "evstore retention set orsted-dk --max-bytes 50000000000\n"
                  "evstore retention get orsted-dk --output table\n"
                  "evstore retention set orsted-dk     # keep everything",
              .flags =
                  {
                      {.name = "max-age",
                       .value_name = "D",
                       .help = "set: drop segments older than D (30d, 72h; "
                               "0: no limit)."},
                      {.name = "max-bytes",
                       .value_name = "N",
                       .help = "set: keep at most N stored bytes (0: no "
                               "limit)."},
                      OutputFlag(),
                  },
              .takes_arguments = true,
              .needs_customer = false,
          },
      .run = &RunRetention,
  };
}

}  // namespace evstore::cli
