// The access token a benchmark client sends: its --token flag, else
// EVSTORE_TOKEN (bench/evstored_control.sh exports the admin token of the
// server it starts from <data_dir>/admin.token).
#ifndef EVSTORE_BENCH_BENCH_TOKEN_H_
#define EVSTORE_BENCH_BENCH_TOKEN_H_

#include <cstdlib>
#include <string>

namespace evstore::bench {

// `flag_value` when not empty, else $EVSTORE_TOKEN, else "" (the server
// then answers UNAUTHENTICATED).
inline std::string BenchToken(const std::string& flag_value) {
  if (!flag_value.empty()) return flag_value;
  const char* from_env = std::getenv("EVSTORE_TOKEN");
  return from_env == nullptr ? std::string() : std::string(from_env);
}

}  // namespace evstore::bench

#endif  // EVSTORE_BENCH_BENCH_TOKEN_H_
