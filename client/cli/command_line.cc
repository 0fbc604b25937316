#include "client/cli/command_line.h"

#include <algorithm>
#include <string_view>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/flag_names.h"

namespace evstore::cli {
namespace {

const FlagSpec* FindFlag(absl::Span<const FlagSpec> flags,
                         absl::string_view name) {
  for (const FlagSpec& flag : flags) {
    // (Debian's absl::string_view is not std::string_view.)
    if (SameFlagName(std::string_view(flag.name.data(), flag.name.size()),
                     std::string_view(name.data(), name.size()))) {
      return &flag;
    }
  }
  return nullptr;
}

// Splits "--name=value" / "--name" into name and optional inline value.
struct FlagToken {
  absl::string_view name;
  std::optional<absl::string_view> inline_value;
};

FlagToken SplitFlag(absl::string_view arg) {
  if (arg == "-h") return {"help", std::nullopt};
  arg.remove_prefix(2);  // "--"
  const std::size_t equals = arg.find('=');
  if (equals == absl::string_view::npos) return {arg, std::nullopt};
  return {arg.substr(0, equals), arg.substr(equals + 1)};
}

bool IsFlag(absl::string_view arg) {
  return arg == "-h" || (absl::StartsWith(arg, "--") && arg.size() > 2);
}

}  // namespace

bool ParsedArgs::Has(absl::string_view name) const {
  return values_.contains(name);
}

std::optional<std::string> ParsedArgs::Value(absl::string_view name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second.back();
}

const std::vector<std::string>& ParsedArgs::Values(
    absl::string_view name) const {
  static const std::vector<std::string> kNone;
  auto it = values_.find(name);
  return it == values_.end() ? kNone : it->second;
}

absl::StatusOr<ParsedArgs> ParseArgs(absl::Span<const std::string> args,
                                     absl::Span<const FlagSpec> flags,
                                     bool takes_arguments) {
  ParsedArgs parsed;
  bool flags_ended = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (flags_ended || !IsFlag(arg)) {
      if (arg == "--" && !flags_ended) {
        flags_ended = true;
        continue;
      }
      if (!takes_arguments) {
        return absl::InvalidArgumentError(
            absl::StrCat("unexpected argument '", arg, "'"));
      }
      parsed.arguments_.push_back(arg);
      continue;
    }
    const FlagToken token = SplitFlag(arg);
    const FlagSpec* flag = FindFlag(flags, token.name);
    if (flag == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown flag --", token.name));
    }
    std::string value;
    if (flag->value_name.empty()) {
      if (token.inline_value.has_value()) {
        return absl::InvalidArgumentError(
            absl::StrCat("flag --", flag->name, " takes no value"));
      }
    } else if (token.inline_value.has_value()) {
      value = std::string(*token.inline_value);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "flag --", flag->name, " needs a value (", flag->value_name, ")"));
    }
    std::vector<std::string>& values = parsed.values_[flag->name];
    if (!values.empty() && !flag->repeatable) {
      return absl::InvalidArgumentError(
          absl::StrCat("flag --", flag->name, " given more than once"));
    }
    values.push_back(std::move(value));
  }
  return parsed;
}

std::optional<std::size_t> FindCommand(
    absl::Span<const std::string> args,
    absl::Span<const FlagSpec> global_flags) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--")
      return i + 1 < args.size() ? std::optional(i + 1) : std::nullopt;
    if (!IsFlag(arg)) return i;
    const FlagToken token = SplitFlag(arg);
    const FlagSpec* flag = FindFlag(global_flags, token.name);
    if (flag != nullptr && !flag->value_name.empty() &&
        !token.inline_value.has_value()) {
      ++i;  // Skip the flag's value.
    }
  }
  return std::nullopt;
}

std::string FormatFlags(absl::Span<const FlagSpec> flags) {
  constexpr std::size_t kHelpColumn = 30;
  std::string out;
  for (const FlagSpec& flag : flags) {
    std::string left = absl::StrCat("  --", flag.name);
    if (!flag.value_name.empty()) absl::StrAppend(&left, " ", flag.value_name);
    if (flag.repeatable) absl::StrAppend(&left, " ...");
    out += left;
    if (left.size() + 2 > kHelpColumn) {
      absl::StrAppend(&out, "\n", std::string(kHelpColumn, ' '));
    } else {
      out += std::string(kHelpColumn - left.size(), ' ');
    }
    bool first = true;
    for (absl::string_view line : absl::StrSplit(flag.help, '\n')) {
      if (!first) absl::StrAppend(&out, "\n", std::string(kHelpColumn, ' '));
      absl::StrAppend(&out, line);
      first = false;
    }
    out += '\n';
  }
  return out;
}

}  // namespace evstore::cli
