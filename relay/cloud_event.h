// The CloudEvents 1.0 form of a recorded event: the attributes the Kafka
// binding puts in headers, and the structured-mode JSON body of the webhook
// sink (docs/relay.md lists both).
#ifndef EVSTORE_RELAY_CLOUD_EVENT_H_
#define EVSTORE_RELAY_CLOUD_EVENT_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "evstore/v1/evstore.pb.h"

namespace evstore::relay {

// The CloudEvents `source` of a customer's events when the sink names none.
std::string DefaultSource(absl::string_view customer);

// recorded_at as RFC 3339 UTC with microseconds
// ("2026-11-27T17:00:00.123456Z").
std::string CloudEventTime(const v1::RecordedEvent& event);

// The Kafka binding's headers (binary mode) of `event`, in a fixed order:
// ce_specversion, ce_id, ce_type, ce_source, ce_subject, ce_time,
// content-type, evstore_customer, evstore_position, evstore_revision.
std::vector<std::pair<std::string, std::string>> KafkaHeaders(
    const v1::RecordedEvent& event, absl::string_view source);

// The structured-mode JSON body: JSON data (by the content type) is
// embedded as "data", anything else base64-encoded as "data_base64".
std::string StructuredJson(const v1::RecordedEvent& event,
                           absl::string_view source);

}  // namespace evstore::relay

#endif  // EVSTORE_RELAY_CLOUD_EVENT_H_
