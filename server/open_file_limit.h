// The process's limit of open file descriptors, which bounds how many
// client connections evstored can hold at once.
#ifndef EVSTORE_SERVER_OPEN_FILE_LIMIT_H_
#define EVSTORE_SERVER_OPEN_FILE_LIMIT_H_

#include <cstdint>

#include "absl/status/statusor.h"

namespace evstore::server {

struct OpenFileLimit {
  std::uint64_t before = 0;  // The soft limit the process started with.
  std::uint64_t now = 0;     // The soft limit after raising it.
};

// Raises the soft RLIMIT_NOFILE to the hard limit (no privileges needed).
//
// Why: every connection costs a descriptor, and launchers commonly start
// processes with a soft limit of 1024. gRPC 1.51 (Debian 12) stops
// accepting connections for good after accept4() fails with EMFILE once
// (grpc/grpc#16058, #20418): a single client opening ~1,000 idle TCP
// connections would leave the server deaf to every new client until it is
// restarted, and RocksDB could not open new files either. Raising the soft
// limit moves that point to the hard limit (typically 524288 or more).
// Call once at startup, before the server listens.
[[nodiscard]] absl::StatusOr<OpenFileLimit> RaiseOpenFileLimit();

}  // namespace evstore::server

#endif  // EVSTORE_SERVER_OPEN_FILE_LIMIT_H_
