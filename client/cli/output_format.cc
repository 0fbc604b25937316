#include "client/cli/output_format.h"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "absl/strings/str_cat.h"
#include "client/cli/cli_support.h"

namespace evstore::cli {

FlagSpec OutputFlag() {
  return {.name = "output",
          .value_name = "FORMAT",
          .help = "json (default: one object per line) or table."};
}

absl::StatusOr<OutputFormat> ParseOutputFormat(const ParsedArgs& args) {
  const std::string text = args.Value("output").value_or("json");
  if (text == "json") return OutputFormat::kJson;
  if (text == "table") return OutputFormat::kTable;
  return absl::InvalidArgumentError(
      absl::StrCat("--output: '", text, "' is not json or table"));
}

TextTable::TextTable(std::vector<std::string> header) {
  rows_.push_back(std::move(header));
}

void TextTable::AddRow(std::vector<std::string> row) {
  rows_.push_back(std::move(row));
}

void TextTable::Print() const {
  std::vector<size_t> widths;
  for (const std::vector<std::string>& row : rows_) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  }
  for (const std::vector<std::string>& row : rows_) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      absl::StrAppend(&line, row[i]);
      if (i + 1 < row.size()) {
        line.append(widths[i] - row[i].size() + 2, ' ');
      }
    }
    WriteLine(line);
  }
}

}  // namespace evstore::cli
