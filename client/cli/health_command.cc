// evstore health: asks the standard gRPC health service
// (grpc.health.v1.Health/Check) whether the server is SERVING. Needs no
// token (the health service is the one unauthenticated RPC), so scripts,
// container checks and operators can use it before any token exists.

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/channel.h"
#include "client/cli/commands.h"
#include "client/status_conversion.h"
#include "google/protobuf/io/coded_stream.h"

namespace evstore::cli {
namespace {

constexpr absl::string_view kName = "health";
constexpr char kCheckMethod[] = "/grpc.health.v1.Health/Check";

// grpc.health.v1.HealthCheckResponse.ServingStatus. The message has one
// field (status = 1, an enum), so it is decoded with protobuf's wire reader
// instead of a generated copy of health.proto (which Debian does not ship).
constexpr uint32_t kStatusFieldTag = (1 << 3) | 0;  // field 1, varint
constexpr const char* kServingStatusNames[] = {
    "UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"};
constexpr uint32_t kServing = 1;

std::string ServingStatusName(uint32_t status) {
  if (status < std::size(kServingStatusNames)) {
    return kServingStatusNames[status];
  }
  return absl::StrCat("STATUS_", status);
}

// The ServingStatus in a serialized HealthCheckResponse.
absl::StatusOr<uint32_t> DecodeServingStatus(const std::string& bytes) {
  google::protobuf::io::CodedInputStream input(
      reinterpret_cast<const uint8_t*>(bytes.data()),
      static_cast<int>(bytes.size()));
  uint32_t status = 0;  // Proto3: an absent field is UNKNOWN (0).
  while (const uint32_t tag = input.ReadTag()) {
    if (tag != kStatusFieldTag || !input.ReadVarint32(&status)) {
      return absl::InternalError(
          "the health service answered with a message that is not a "
          "grpc.health.v1.HealthCheckResponse");
    }
  }
  return status;
}

// One Check call for the whole server (service name ""), whose serialized
// request is empty.
absl::StatusOr<uint32_t> CheckOnce(grpc::GenericStub& stub,
                                   absl::Duration timeout) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  grpc::CompletionQueue queue;
  // An empty HealthCheckRequest (service ""): a valid, empty buffer. A
  // default ByteBuffer would send no message at all.
  grpc::Slice no_bytes(std::string{});
  const grpc::ByteBuffer request(&no_bytes, 1);
  std::unique_ptr<grpc::GenericClientAsyncResponseReader> call =
      stub.PrepareUnaryCall(&context, kCheckMethod, request, &queue);
  call->StartCall();
  grpc::ByteBuffer response;
  grpc::Status status;
  int finished_tag = 0;
  call->Finish(&response, &status, &finished_tag);
  void* tag = nullptr;
  bool ok = false;
  if (!queue.Next(&tag, &ok) || tag != &finished_tag) {
    return absl::InternalError("the health check call did not complete");
  }
  if (!status.ok()) return client::FromGrpcStatus(status);
  grpc::Slice slice;
  if (!response.DumpToSingleSlice(&slice).ok()) {
    return absl::InternalError("cannot read the health check response");
  }
  return DecodeServingStatus(
      std::string(reinterpret_cast<const char*>(slice.begin()), slice.size()));
}

int RunHealth(const GlobalOptions& global, const ParsedArgs& args) {
  absl::Duration wait = absl::ZeroDuration();
  if (std::optional<std::string> text = args.Value("wait")) {
    if (!absl::ParseDuration(*text, &wait) || wait < absl::ZeroDuration() ||
        wait == absl::InfiniteDuration()) {
      return ReportUsageError(
          kName, absl::StrCat("--wait: '", *text,
                              "' is not a finite duration (e.g. 30s)"));
    }
  }
  client::ClientOptions options;
  options.address = global.address;
  options.tls = global.tls;
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      client::MakeChannel(options);
  if (!channel.ok()) return ReportRpcError(channel.status());
  grpc::GenericStub stub(*channel);

  // Until SERVING or --wait has passed: each try waits at most a second (or
  // --timeout), so a server that is still starting is asked again soon.
  const absl::Time give_up = absl::Now() + wait;
  while (true) {
    const absl::Duration left = give_up - absl::Now();
    const absl::Duration timeout =
        wait == absl::ZeroDuration()
            ? global.timeout
            : std::max(absl::Milliseconds(100),
                       std::min({global.timeout, absl::Seconds(1), left}));
    absl::StatusOr<uint32_t> status = CheckOnce(stub, timeout);
    if (status.ok() && *status == kServing) {
      WriteLine(R"({"status":"SERVING"})");
      return kExitOk;
    }
    if (absl::Now() >= give_up) {
      if (!status.ok()) return ReportRpcError(status.status());
      WriteLine(
          absl::StrCat(R"({"status":")", ServingStatusName(*status), R"("})"));
      return kExitRpcError;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

}  // namespace

Command HealthCommand() {
  return Command{
      .spec =
          {
              .name = kName,
              .summary = "Check that the server is SERVING (gRPC health).",
              .usage = "evstore health [--wait DURATION]",
              .description =
                  "Calls the standard gRPC health service "
                  "(grpc.health.v1.Health/Check) for the\n"
                  "whole server and prints {\"status\":\"SERVING\"} (exit "
                  "0), or the status it\n"
                  "got (NOT_SERVING: starting, shutting down, or writes "
                  "stopped after a\n"
                  "storage failure) or the error (exit 1). Needs no token "
                  "or customer.\n"
                  "With --wait, asks again until the server is SERVING or "
                  "the time has passed\n"
                  "(for scripts that start a server).",
              .examples = "evstore --address 127.0.0.1:50051 health\n"
                          "evstore --address evstore.example.net:50051 "
                          "--tls_ca ca.pem health --wait 60s",
              .flags = {{.name = "wait",
                         .value_name = "DURATION",
                         .help = "Ask again until SERVING, for at most this "
                                 "long (e.g. 30s;\ndefault: ask once)."}},
              .needs_customer = false,
          },
      .run = RunHealth,
  };
}

}  // namespace evstore::cli
