// OwnConnection: a gRPC channel to evstored with a TCP connection of its
// own. gRPC otherwise shares one connection among all channels to the same
// address with the same arguments, while a customer's system has its own
// connection (and the server limits concurrent streams per connection:
// evstored's --max_concurrent_streams).
#ifndef EVSTORE_BENCH_OWN_CONNECTION_H_
#define EVSTORE_BENCH_OWN_CONNECTION_H_

#include <memory>
#include <string>

#include "grpcpp/channel.h"

namespace evstore::bench {

// A plaintext channel to `address` (host:port) that accepts messages of up
// to 64 MiB, like the client library's. The connection is made lazily.
std::shared_ptr<grpc::Channel> OwnConnection(const std::string& address);

}  // namespace evstore::bench

#endif  // EVSTORE_BENCH_OWN_CONNECTION_H_
