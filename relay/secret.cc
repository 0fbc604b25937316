#include "relay/secret.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace evstore::relay {

absl::StatusOr<std::string> ResolveSecret(const SecretRef& ref) {
  if (ref.empty()) return absl::InvalidArgumentError("no secret configured");
  if (!ref.file.empty() && !ref.env.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a secret comes from a file or an environment variable, not both (",
        ref.file, ", $", ref.env, ")"));
  }
  std::string value;
  if (!ref.env.empty()) {
    const char* env = std::getenv(ref.env.c_str());
    if (env == nullptr) {
      return absl::NotFoundError(
          absl::StrCat("environment variable ", ref.env, " is not set"));
    }
    value = env;
  } else {
    std::ifstream in(ref.file, std::ios::binary);
    if (!in) {
      return absl::NotFoundError(
          absl::StrCat("cannot read secret file ", ref.file));
    }
    std::ostringstream content;
    content << in.rdbuf();
    value = content.str();
  }
  // A Secret made from a file (kubectl create secret --from-file, echo)
  // often ends in a newline, also when it reaches us as a variable.
  while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) {
    value.pop_back();
  }
  if (value.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "secret ", ref.env.empty() ? ref.file : "$" + ref.env, " is empty"));
  }
  return value;
}

}  // namespace evstore::relay
