// evstore-grpc-ceiling: what gRPC alone sustains on this machine, measured
// the way evstore-bench measures W1, so that W1 can be read as a fraction of
// it (see BENCHMARKS.md and bench/compare.sh).
//
//   --serve --port_file=F   runs the server (bench/ceiling_server.h): empty
//                           unary and bidi echo handlers, evstored's server
//                           options. SIGINT or SIGTERM stop it (exit 0).
//   --address=A --mode=unary|bidi
//                           the client: --in_flight producers (default 64,
//                           like W1), each sending one request and waiting
//                           for its reply before the next. unary: a thread
//                           per producer making blocking unary calls, like
//                           evstore-bench --transport=unary (Client::Append;
//                           load_driver.h RunClosedLoop). bidi: the producers
//                           share --streams callback-API bidi streams
//                           (default 8, like evstore-bench's --sessions) and
//                           are driven as by evstore-bench's --session_api:
//                           --bidi_api=callback (default, as W1 runs) sends
//                           each next request from the previous reply's
//                           callback (callback_loop.h); future: a thread per
//                           producer waiting on a future (RunClosedLoop).
//
// Requests carry an id and --payload_bytes of payload (default 256, W1's
// event size); 0 sends empty messages. The report (table, and with --json one
// JSON line on stdout) has evstore-bench's shape: events/s = calls/s.
// Exit status: 0, 1 when a call failed, 2 for bad flags or no server.
#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "bench/callback_loop.h"
#include "bench/ceiling_bidi_stream.h"
#include "bench/ceiling_server.h"
#include "bench/load_driver.h"
#include "bench/proto/ceiling.grpc.pb.h"
#include "bench/report.h"
#include "client/status_conversion.h"

ABSL_FLAG(bool, serve, false, "run the server instead of the client");
ABSL_FLAG(std::string, listen, "127.0.0.1:0",
          "--serve: listen address (port 0: any free port)");
ABSL_FLAG(std::string, port_file, "",
          "--serve: write the port here once listening");
ABSL_FLAG(std::string, address, "127.0.0.1:50051", "client: server address");
ABSL_FLAG(std::string, mode, "bidi", "client: unary or bidi");
ABSL_FLAG(int32_t, in_flight, 64,
          "client: producers, each with one request in flight");
ABSL_FLAG(int32_t, streams, 8, "client, bidi: streams shared by producers");
ABSL_FLAG(std::string, bidi_api, "callback",
          "client, bidi: callback (each producer sends from the previous "
          "reply's callback) or future (a thread per producer)");
ABSL_FLAG(int64_t, payload_bytes, 256,
          "client: payload bytes per request; 0 sends empty messages");
ABSL_FLAG(double, duration, 10, "client: measured seconds");
ABSL_FLAG(double, warmup, 2, "client: seconds before measuring");
ABSL_FLAG(bool, json, false,
          "client: one JSON object on stdout (the table goes to stderr)");
ABSL_FLAG(int32_t, server_pid, 0,
          "client: the server process whose CPU use is reported");
ABSL_FLAG(std::string, label, "", "client: free text copied into the report");

namespace evstore::bench {
namespace {

// The grace period calls get after SIGTERM before they are cancelled.
constexpr absl::Duration kShutdownGracePeriod = absl::Seconds(2);

// Writes "<port>\n" to `path` atomically (as evstored does).
absl::Status WritePortFile(const std::string& path, int port) {
  const std::string temporary = absl::StrCat(path, ".tmp.", getpid());
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << port << '\n';
    out.close();
    if (!out) {
      return absl::UnavailableError(absl::StrCat("cannot write ", temporary));
    }
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot rename ", temporary, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

int Serve() {
  // As evstored does (server/main.cc): Debian's Abseil otherwise tracks lock
  // order on every Mutex, gRPC's included. The client keeps it, like
  // evstore-bench.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  // Blocked before gRPC starts its threads (they inherit the mask), so that
  // sigwait below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  absl::StatusOr<std::unique_ptr<CeilingServer>> server =
      CeilingServer::Start(absl::GetFlag(FLAGS_listen));
  if (!server.ok()) {
    std::cerr << "evstore-grpc-ceiling: " << server.status() << "\n";
    return 2;
  }
  const std::string port_file = absl::GetFlag(FLAGS_port_file);
  if (!port_file.empty()) {
    if (absl::Status written = WritePortFile(port_file, (*server)->port());
        !written.ok()) {
      std::cerr << "evstore-grpc-ceiling: " << written << "\n";
      return 2;
    }
  }
  std::cerr << "evstore-grpc-ceiling: serving on port " << (*server)->port()
            << "\n";
  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  (*server)->Shutdown(absl::Now() + kShutdownGracePeriod);
  return 0;
}

// What every producer sends: W1's shape (a 36-character id and the payload),
// or nothing at all.
v1::CeilingRequest RequestTemplate(std::size_t payload_bytes) {
  v1::CeilingRequest request;
  if (payload_bytes == 0) return request;
  request.set_id("01890a5d-ac96-774b-bcce-b302099a8057");
  request.set_payload(std::string(payload_bytes, 'x'));
  return request;
}

// Sends from producer threads: a new correlation id per request (unless the
// messages are empty), then one unary call or one request on the producer's
// stream, waiting for the reply.
class CeilingSender {
 public:
  CeilingSender(const std::shared_ptr<grpc::Channel>& channel, bool bidi,
                int streams, int producers, std::size_t payload_bytes)
      : stub_(v1::CeilingService::NewStub(channel)),
        template_(RequestTemplate(payload_bytes)),
        payload_bytes_(payload_bytes),
        next_ids_(static_cast<std::size_t>(producers)) {
    for (int s = 0; bidi && s < streams; ++s) {
      streams_.push_back(std::make_unique<CeilingBidiStream>(channel));
    }
  }

  // Sends producer `p`'s next request and waits for the reply. Called for
  // `p` by one thread at a time.
  absl::StatusOr<AppendOutcome> Send(int p) {
    v1::CeilingRequest request = NextRequest(p);
    const std::uint64_t expected = request.correlation_id();
    if (streams_.empty()) return Check(CallUnary(request), expected);
    return Check(StreamOf(p).Send(std::move(request)).get(), expected);
  }

  // Like Send(), over a stream, calling `done` with the outcome.
  void SendAsync(int p, SendDone done) {
    v1::CeilingRequest request = NextRequest(p);
    const std::uint64_t expected = request.correlation_id();
    StreamOf(p).SendAsync(
        std::move(request),
        [this, expected, done = std::move(done)](
            const absl::StatusOr<v1::CeilingResponse>& reply) {
          done(Check(reply, expected));
        });
  }

  // Ends the streams; the first failure, if any.
  absl::Status CloseStreams() {
    absl::Status first;
    for (auto& stream : streams_) {
      first.Update(stream->Close(absl::Seconds(30)));
    }
    return first;
  }

 private:
  absl::StatusOr<v1::CeilingResponse> CallUnary(
      const v1::CeilingRequest& request) const {
    grpc::ClientContext context;
    // Client::Append's default deadline.
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
    v1::CeilingResponse response;
    grpc::Status status = stub_->Unary(&context, request, &response);
    if (!status.ok()) return client::FromGrpcStatus(status);
    return response;
  }

  v1::CeilingRequest NextRequest(int p) {
    v1::CeilingRequest request = template_;
    if (payload_bytes_ > 0) {
      // Unique across producers: the producer in the low 16 bits.
      const std::uint64_t count = ++next_ids_[static_cast<std::size_t>(p)];
      request.set_correlation_id(count << 16 | static_cast<std::uint64_t>(p));
    }
    return request;
  }

  CeilingBidiStream& StreamOf(int p) {
    return *streams_[static_cast<std::size_t>(p) % streams_.size()];
  }

  absl::StatusOr<AppendOutcome> Check(
      const absl::StatusOr<v1::CeilingResponse>& reply,
      std::uint64_t expected) const {
    if (!reply.ok()) return reply.status();
    if (reply->correlation_id() != expected) {
      return absl::InternalError(absl::StrCat(
          "reply for ", reply->correlation_id(), " to request ", expected));
    }
    return AppendOutcome{.events = 1, .bytes = payload_bytes_};
  }

  const std::unique_ptr<v1::CeilingService::Stub> stub_;
  const v1::CeilingRequest template_;
  const std::size_t payload_bytes_;
  std::vector<std::uint64_t> next_ids_;  // Element p: producer p's only.
  std::vector<std::unique_ptr<CeilingBidiStream>> streams_;
};

// The channel Client::Connect makes (64 MiB message limits), connected.
absl::StatusOr<std::shared_ptr<grpc::Channel>> Connect(
    const std::string& address) {
  grpc::ChannelArguments arguments;
  arguments.SetMaxReceiveMessageSize(64 << 20);
  arguments.SetMaxSendMessageSize(64 << 20);
  std::shared_ptr<grpc::Channel> channel = grpc::CreateCustomChannel(
      address, grpc::InsecureChannelCredentials(), arguments);
  if (!channel->WaitForConnected(
          absl::ToChronoTime(absl::Now() + absl::Seconds(10)))) {
    return absl::UnavailableError(
        absl::StrCat("cannot connect to ", address, " within 10s"));
  }
  return channel;
}

int RunClient() {
  const std::string mode = absl::GetFlag(FLAGS_mode);
  const std::string bidi_api = absl::GetFlag(FLAGS_bidi_api);
  const bool bidi = mode == "bidi";
  RunConfig config;
  config.address = absl::GetFlag(FLAGS_address);
  config.workload = "ceiling";
  // The report's transport says how bidi was driven.
  config.transport = bidi ? absl::StrCat("bidi-", bidi_api) : mode;
  config.producers = absl::GetFlag(FLAGS_in_flight);
  config.sessions = bidi ? absl::GetFlag(FLAGS_streams) : 0;
  config.batch = 1;
  const int64_t payload_bytes = absl::GetFlag(FLAGS_payload_bytes);
  config.event_bytes = static_cast<std::size_t>(payload_bytes);
  config.ids = payload_bytes > 0 ? "fixed" : "none";
  config.duration_s = absl::GetFlag(FLAGS_duration);
  config.warmup_s = absl::GetFlag(FLAGS_warmup);
  config.label = absl::GetFlag(FLAGS_label);
  if ((mode != "unary" && !bidi) ||
      (bidi_api != "callback" && bidi_api != "future") ||
      config.producers < 1 || (bidi && config.sessions < 1) ||
      payload_bytes < 0 || !(config.duration_s > 0) ||
      !(config.warmup_s >= 0)) {
    std::cerr << "evstore-grpc-ceiling: --mode must be unary or bidi, "
                 "--bidi_api callback or future, --in_flight and --streams "
                 "at least 1, --payload_bytes not negative, --duration "
                 "positive, --warmup not negative\n";
    return 2;
  }
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      Connect(config.address);
  if (!channel.ok()) {
    std::cerr << "evstore-grpc-ceiling: " << channel.status() << "\n";
    return 2;
  }
  CeilingSender sender(*channel, bidi, config.sessions, config.producers,
                       config.event_bytes);
  DriverOptions driver;
  driver.producers = config.producers;
  driver.warmup_s = config.warmup_s;
  driver.duration_s = config.duration_s;
  driver.server_pid = absl::GetFlag(FLAGS_server_pid);
  RunResult result =
      bidi && bidi_api == "callback"
          ? RunCallbackLoop(driver,
                            [&sender](int p, SendDone done) {
                              sender.SendAsync(p, std::move(done));
                            })
          : RunClosedLoop(driver, [&sender](int p) { return sender.Send(p); });
  if (absl::Status closed = sender.CloseStreams(); !closed.ok()) {
    ++result.errors;
    if (result.first_error.empty()) result.first_error = closed.ToString();
  }
  const std::string table = FormatTable(config, result);
  if (absl::GetFlag(FLAGS_json)) {
    std::cerr << table << std::flush;
    std::cout << FormatJson(config, result) << std::endl;
  } else {
    std::cout << table << std::flush;
  }
  return result.errors == 0 ? 0 : 1;
}

int Main(int argc, char* argv[]) {
  absl::FlagsUsageConfig usage_config;
  usage_config.contains_help_flags = [](absl::string_view path) {
    return absl::StrContains(path, "bench/");
  };
  usage_config.contains_helpshort_flags = usage_config.contains_help_flags;
  absl::SetFlagsUsageConfig(usage_config);
  absl::SetProgramUsageMessage(
      "gRPC with empty handlers: --serve, or the client (--address, --mode); "
      "see bench/grpc_ceiling_main.cc");
  absl::ParseCommandLine(argc, argv);
  return absl::GetFlag(FLAGS_serve) ? Serve() : RunClient();
}

}  // namespace
}  // namespace evstore::bench

int main(int argc, char* argv[]) { return evstore::bench::Main(argc, argv); }
