// What the relay's end-to-end tests append and check on the evstore side: a
// feed interleaving three streams of kOrsted, and the relay's checkpoints.
#ifndef EVSTORE_TESTS_RELAY_RELAY_TEST_FEED_H_
#define EVSTORE_TESTS_RELAY_RELAY_TEST_FEED_H_

#include <cstdint>
#include <string>
#include <vector>

#include "client/evstore_client.h"
#include "tests/integration/test_events.h"

namespace evstore::testing {

// The three streams the feed interleaves.
inline const char* const kRelayStreams[] = {kNominations, kForecast,
                                            kOtherNominations};

// Appends `count` nominations to kOrsted, one append per event, the streams
// in turn (position p goes to kRelayStreams[(p - 1) % 3]); the ids are
// TestUuid(series, 0..count-1). Returns the ids by position - 1. REQUIREs
// that every append succeeded.
std::vector<std::string> AppendInterleaved(const client::Client& client,
                                           uint32_t series, int count);

// "$TMPDIR/<name>.<pid>" ("/tmp" without TMPDIR): a per-process scratch
// path for a test's files.
std::string TempPath(const std::string& name);

// The position of kOrsted's checkpoint `name`; 0 when it does not exist.
uint64_t CheckpointPosition(const client::Client& client,
                            const std::string& name);

}  // namespace evstore::testing

#endif  // EVSTORE_TESTS_RELAY_RELAY_TEST_FEED_H_
