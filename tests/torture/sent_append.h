// What the torture driver sent and what became of it.
//
// Every append a producer sends ends in exactly one outcome:
// - acked: the server answered with an AppendResponse; the events must be
//   durable, at exactly the positions and revisions of that response;
// - conflict: FAILED_PRECONDITION (a wrong expected revision); nothing may
//   have been written, now or ever (its ids are never sent again);
// - unknown: anything else (the server was killed with the request in flight,
//   the stream broke, ...); the append may or may not have been applied, and
//   after the restart it must exist completely or not at all.
#ifndef EVSTORE_TESTS_TORTURE_SENT_APPEND_H_
#define EVSTORE_TESTS_TORTURE_SENT_APPEND_H_

#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "evstore/v1/evstore.pb.h"

namespace evstore::torture {

// How an append travelled to the server.
enum class AppendChannel {
  kUnarySingle,    // one event over Append
  kSessionSingle,  // one event over an AppendSession, several in flight
  kUnaryBatch,     // 1..N events over several streams, over Append
  kRetry,          // re-sent by the verifier
};
const char* ChannelName(AppendChannel channel);

struct SentAppend {
  int customer = 0;  // index into the driver's customers
  AppendChannel channel = AppendChannel::kUnarySingle;
  int cycle = 0;  // the kill cycle it was sent in
  v1::AppendRequest request;
  // Set (to the first event id) when the same request was sent twice at
  // once: of two acknowledged twins exactly one is the original
  // (duplicate=false) and both name the same positions.
  std::string twin_key;
};

int EventCount(const v1::AppendRequest& request);

enum class OutcomeKind { kAcked, kConflict, kUnknown };

struct AppendOutcome {
  SentAppend sent;
  OutcomeKind kind = OutcomeKind::kUnknown;
  v1::AppendResponse response;  // kAcked only
  absl::Status error;           // kConflict and kUnknown
};

// FAILED_PRECONDITION is a conflict (the server decided and wrote nothing);
// every other failure leaves the outcome unknown.
OutcomeKind ClassifyFailure(const absl::Status& status);

// True for failures that mean the server is gone (the producer stops).
bool IsTransportFailure(const absl::Status& status);

// Collects outcomes from producer threads. Thread-safe.
class OutcomeLog {
 public:
  void Add(AppendOutcome outcome);
  // Returns everything added so far and empties the log.
  std::vector<AppendOutcome> Take();

 private:
  std::mutex mu_;
  std::vector<AppendOutcome> outcomes_;  // guarded by mu_
};

}  // namespace evstore::torture

#endif  // EVSTORE_TESTS_TORTURE_SENT_APPEND_H_
