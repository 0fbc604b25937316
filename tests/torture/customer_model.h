// CustomerModel: what the driver knows must (and must not) be in one
// customer's feed: every acknowledged append with its result, the ids of
// conflicted appends (never written), and the appends whose outcome is
// unknown until the next verification.
#ifndef EVSTORE_TESTS_TORTURE_CUSTOMER_MODEL_H_
#define EVSTORE_TESTS_TORTURE_CUSTOMER_MODEL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "tests/torture/sent_append.h"

namespace evstore::torture {

// Where an acknowledged event must be.
struct EventFact {
  uint64_t position = 0;
  std::string stream;
  uint64_t revision = 0;
};

struct AckedAppend {
  v1::AppendRequest request;
  v1::AppendResponse response;
};

// Not thread-safe; owned by the driver's main thread.
class CustomerModel {
 public:
  // Takes in an acknowledged result. Checks that it is well-formed (one
  // position per event, one revision range per write) and that no event id
  // or position was already acknowledged differently; describes every
  // inconsistency in `violations`.
  void RecordAck(const v1::AppendRequest& request,
                 const v1::AppendResponse& response,
                 std::vector<std::string>* violations);
  void RecordConflict(const v1::AppendRequest& request);
  void RecordUnknown(SentAppend sent) { unknown_.push_back(std::move(sent)); }
  // Hands the unknown appends to the verifier, which resolves them all.
  std::vector<SentAppend> TakeUnknown() { return std::exchange(unknown_, {}); }

  const std::vector<AckedAppend>& acked() const { return acked_; }
  const absl::flat_hash_map<std::string, EventFact>& acked_events() const {
    return acked_events_;
  }
  // Acknowledged ids in acknowledgement order.
  const std::vector<std::string>& acked_ids() const { return acked_ids_; }
  bool IsConflicted(const std::string& id) const {
    return conflicted_ids_.contains(id);
  }
  uint64_t conflicts() const { return conflicts_; }

 private:
  std::vector<AckedAppend> acked_;
  absl::flat_hash_map<std::string, EventFact> acked_events_;
  absl::flat_hash_map<uint64_t, std::string> acked_positions_;
  std::vector<std::string> acked_ids_;
  absl::flat_hash_set<std::string> conflicted_ids_;
  uint64_t conflicts_ = 0;
  std::vector<SentAppend> unknown_;
};

}  // namespace evstore::torture

#endif  // EVSTORE_TESTS_TORTURE_CUSTOMER_MODEL_H_
