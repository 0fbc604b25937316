// Secrets of the relay (tokens, SASL passwords, webhook signing keys): named
// in the configuration by a file or an environment variable, never written in
// it. Errors name the file or the variable, never the value.
#ifndef EVSTORE_RELAY_SECRET_H_
#define EVSTORE_RELAY_SECRET_H_

#include <string>

#include "absl/status/statusor.h"

namespace evstore::relay {

// Where a secret comes from: exactly one of `file` and `env` is set (both
// empty: no secret).
struct SecretRef {
  std::string file = {};
  std::string env = {};

  bool empty() const { return file.empty() && env.empty(); }
};

// The secret's value: the file's content or the environment variable's
// value, without trailing newlines ("\n", "\r\n"). NOT_FOUND when the
// variable is not set, the file's read error otherwise, INVALID_ARGUMENT when
// `ref` is empty, names both sources or the value is empty.
absl::StatusOr<std::string> ResolveSecret(const SecretRef& ref);

}  // namespace evstore::relay

#endif  // EVSTORE_RELAY_SECRET_H_
