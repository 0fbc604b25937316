// How `evstore` prints results: one JSON object per line (NDJSON).
//
// The shapes follow the proto3 JSON mapping (lowerCamelCase names, RFC 3339
// timestamps) with two deliberate differences that make the output easy to
// use with tools like jq:
// - positions and revisions are JSON numbers, not strings;
// - an event's `data` is the payload itself when it is JSON (content type
//   application/json or +json), and base64 text with "dataEncoding":"base64"
//   otherwise. Events read without data have no `data` member.
// Example:
//   {"customer":"orsted-dk","stream":"contract/DS000068/nominations",
//    "revision":1,"position":1,"id":"0f8fad5b-d9cb-469f-a165-70867728950e",
//    "type":"NominationResponseReceived","contentType":"application/json",
//    "data":{"contract":"DS000068","status":"16G"},"metadata":{},
//    "recordedAt":"2026-11-27T05:00:00.123456Z"}
#ifndef EVSTORE_CLIENT_CLI_EVENT_JSON_H_
#define EVSTORE_CLIENT_CLI_EVENT_JSON_H_

#include <cstdint>
#include <string>

#include "evstore/v1/evstore.pb.h"

namespace evstore::cli {

std::string RecordedEventToJson(const v1::RecordedEvent& event);

// {"firstPosition":..,"lastPosition":..,"streams":[{"stream":..,
//  "firstRevision":..,"lastRevision":..}],"duplicate":..,"recordedAt":..}
std::string AppendResponseToJson(const v1::AppendResponse& response);

// {"caughtUp":{"position":N}}
std::string CaughtUpToJson(const v1::CaughtUp& caught_up);

// {"heartbeat":{"position":N}}
std::string HeartbeatToJson(const v1::Heartbeat& heartbeat);

}  // namespace evstore::cli

#endif  // EVSTORE_CLIENT_CLI_EVENT_JSON_H_
