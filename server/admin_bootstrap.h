// The first admin token: created when evstored starts with no admin token
// in its data directory, so that the Admin API can be used at all.
#ifndef EVSTORE_SERVER_ADMIN_BOOTSTRAP_H_
#define EVSTORE_SERVER_ADMIN_BOOTSTRAP_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "storage/token_store.h"

namespace evstore::server {

// The file that holds the bootstrap admin token, in the data directory.
inline constexpr char kAdminTokenFileName[] = "admin.token";

// When `tokens` holds no admin token: creates one and writes its secret and
// a newline to <data_dir>/admin.token, created with O_EXCL and mode 0600
// (never overwriting a file), and returns that path; else returns nullopt.
// The file is written (and fsync'd) before the token is stored, so a crash
// leaves at worst a file with a token that does not work (the next start
// then fails with FAILED_PRECONDITION asking to remove it, rather than
// replacing a file someone may rely on). Never logs the token.
absl::StatusOr<std::optional<std::string>> BootstrapAdminToken(
    const std::string& data_dir, TokenStore& tokens, int64_t now_micros);

}  // namespace evstore::server

#endif  // EVSTORE_SERVER_ADMIN_BOOTSTRAP_H_
