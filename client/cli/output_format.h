// --output json|table: how commands with tabular results print them. JSON is
// one object per line (NDJSON, the default); a table has a header line and
// left-aligned columns separated by two spaces, for people.
#ifndef EVSTORE_CLIENT_CLI_OUTPUT_FORMAT_H_
#define EVSTORE_CLIENT_CLI_OUTPUT_FORMAT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/cli/command_line.h"

namespace evstore::cli {

enum class OutputFormat { kJson, kTable };

// The --output flag (for the flag list of a command).
FlagSpec OutputFlag();

// --output of `args`: "json" (default) or "table"; INVALID_ARGUMENT else.
absl::StatusOr<OutputFormat> ParseOutputFormat(const ParsedArgs& args);

// Rows of text cells, printed as an aligned table. Not thread-safe.
class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header);
  void AddRow(std::vector<std::string> row);
  // Writes the header and the rows to stdout.
  void Print() const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace evstore::cli

#endif  // EVSTORE_CLIENT_CLI_OUTPUT_FORMAT_H_
