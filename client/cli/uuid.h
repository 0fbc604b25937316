// Event ids for events the user did not give an id.
#ifndef EVSTORE_CLIENT_CLI_UUID_H_
#define EVSTORE_CLIENT_CLI_UUID_H_

#include <string>

namespace evstore::cli {

// Returns a random (version 4) UUID in canonical lowercase text form, e.g.
// "0f8fad5b-d9cb-469f-a165-70867728950e", drawn from the operating system's
// random source (std::random_device). Not thread-safe.
std::string NewEventId();

}  // namespace evstore::cli

#endif  // EVSTORE_CLIENT_CLI_UUID_H_
