// evstore-bench: a closed-loop load generator for evstored, built on the C++
// client library (evstore_client).
//
// Workloads (--workload):
//   batched  N producers (default 16), each on its own thread, send unary
//            Append requests of --batch events (default 100) and wait for
//            each acknowledgement before sending the next.
//   single   N producers (default 64) send one-event appends, each waiting for
//            its acknowledgement before the next, either over AppendSession
//            (--transport=session, the default: the producers share
//            --sessions streams, default 8) or as unary Append calls
//            (--transport=unary, one thread per producer).
//   latency  W3: N producers (default 32) send one-event appends (over
//            --transport, as for single) at a fixed total --rate (default
//            5,000/s) while --subscribers (default 100) live subscribers tail
//            their customer's feed; latency is from send to each
//            subscriber's receipt (see evstore_latency_workload.h).
//   catchup  W4: one subscriber reads a --preload_events feed from its start
//            (preloaded first when shorter; see catchup_workload.h).
//   growth   W5: batched on the store as it is, then after filling it to
//            --growth_events, and the ratio (see growth_workload.h).
//   idle_subscribers
//            W6: latency while --idle_subscriptions more subscriptions
//            receive nothing; server RSS (see idle_subscribers_workload.h).
//
// Every event is a JSON document of exactly --event_bytes bytes with a fresh
// random UUID (--ids=time-ordered: UUIDv7); customers are chosen round-robin
// and streams at random per request (see event_factory.h). After --warmup
// seconds the benchmark measures for --duration seconds: appends acknowledged
// in that window count toward throughput and latency (send to acknowledgement,
// every sample). Then producers stop sending and every append in flight is
// awaited.
//
// Output: a table (on stdout; on stderr with --json) and, with --json, one
// JSON object on one stdout line. With --server_pid, the CPU use of evstored
// and of its busiest threads in the window is reported too. Every append must
// succeed: a producer stops at its first failed append, the failures are
// counted and reported, and the exit status is 1. Exit status 2: bad flags or
// no server.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <future>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
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
#include "absl/time/time.h"
#include "base/mutex.h"
#include "bench/bench_token.h"
#include "bench/catchup_workload.h"
#include "bench/event_factory.h"
#include "bench/evstore_latency_workload.h"
#include "bench/growth_workload.h"
#include "bench/idle_subscribers_workload.h"
#include "bench/measurement.h"
#include "bench/report.h"
#include "bench/stamped_payload.h"
#include "client/append_session.h"
#include "client/evstore_client.h"

ABSL_FLAG(std::string, address, "127.0.0.1:50051",
          "evstored address (host:port)");
ABSL_FLAG(std::string, token, "",
          "access token (evs_...); default: $EVSTORE_TOKEN");
ABSL_FLAG(std::string, workload, "batched",
          "batched, single, latency, catchup, growth or idle_subscribers");
ABSL_FLAG(std::string, transport, "session",
          "single workload: session (AppendSession) or unary (Append)");
ABSL_FLAG(std::string, session_api, "callback",
          "session transport: callback (AppendAsync; each producer sends its "
          "next append from the reply callback) or future (one thread per "
          "producer waiting on Append()'s future)");
ABSL_FLAG(int32_t, sessions, 8,
          "session transport: AppendSessions shared by the producers");
ABSL_FLAG(int32_t, producers, 0,
          "concurrent producers; 0: 16 for batched, 64 for single, 32 for "
          "latency");
ABSL_FLAG(int32_t, subscribers, 100, "latency workload: live subscribers");
ABSL_FLAG(double, rate, 5000, "latency workload: events per second");
ABSL_FLAG(int32_t, batch, 100,
          "batched workload: events per append (single always sends 1)");
ABSL_FLAG(int64_t, event_bytes, 256, "bytes of JSON payload per event");
ABSL_FLAG(int32_t, customers, 10, "customers, chosen round-robin");
ABSL_FLAG(int32_t, streams, 1000,
          "streams per customer, chosen at random per append");
ABSL_FLAG(double, duration, 10, "measured seconds");
ABSL_FLAG(double, warmup, 2, "seconds of load before measuring (not counted)");
ABSL_FLAG(std::string, ids, "random",
          "event ids: random (UUIDv4) or time-ordered (UUIDv7)");
ABSL_FLAG(bool, json, false,
          "print one JSON object on stdout (the table goes to stderr)");
ABSL_FLAG(int32_t, server_pid, 0,
          "when set, the evstored process whose CPU use is reported");
ABSL_FLAG(std::string, label, "", "free text copied into the report");
ABSL_FLAG(int32_t, load_producers, 8,
          "catchup preload and growth fill: concurrent appends");
ABSL_FLAG(int32_t, load_batch, 1000,
          "catchup preload and growth fill: events per append");
ABSL_FLAG(int64_t, preload_events, 10'000'000,
          "catchup: events the feed must hold (preloaded when it holds fewer)");
ABSL_FLAG(int64_t, growth_events, 50'000'000,
          "growth: events in the store before the second batched run");
ABSL_FLAG(double, growth_settle, 10,
          "growth: idle seconds between the fill and the second run");
ABSL_FLAG(std::string, server_data_dir, "",
          "growth: evstored's data directory, whose size is reported");
ABSL_FLAG(int32_t, idle_subscriptions, 10'000,
          "idle_subscribers: subscriptions that receive no events");
ABSL_FLAG(int32_t, idle_connections, 10,
          "idle_subscribers: connections the idle subscriptions share");
ABSL_FLAG(std::string, idle_kind, "quiet",
          "idle_subscribers: quiet (customers of their own that get no "
          "events) or filtered (the live feeds, with a type filter that "
          "matches nothing)");

namespace evstore::bench {
namespace {

using Clock = std::chrono::steady_clock;
using client::AppendSession;
using client::Client;

// The phases of a run, shared read-only by all producers (plus `stop`).
struct RunClock {
  Clock::time_point warm_end;
  Clock::time_point end;
  std::atomic<bool> stop{false};

  bool InWindow(Clock::time_point t) const { return t >= warm_end && t < end; }
};

// Records the outcome of one append in its producer's stats. Returns whether
// the producer may go on.
bool Record(const RunClock& clock, ProducerStats& stats, int events,
            std::size_t event_bytes, Clock::time_point sent,
            const absl::StatusOr<v1::AppendResponse>& outcome) {
  const Clock::time_point acked = Clock::now();
  if (!outcome.ok()) {
    ++stats.errors;
    if (stats.first_error.empty()) {
      stats.first_error = outcome.status().ToString();
    }
    return false;
  }
  stats.total_events += static_cast<std::uint64_t>(events);
  if (clock.InWindow(acked)) {
    ++stats.appends;
    stats.events += static_cast<std::uint64_t>(events);
    stats.bytes += static_cast<std::uint64_t>(events) * event_bytes;
    stats.latencies_ns.push_back(
        std::chrono::duration_cast<std::chrono::nanoseconds>(acked - sent)
            .count());
  }
  return true;
}

int EventCount(const v1::AppendRequest& request) {
  return request.writes(0).events_size();
}

// A producer on its own thread: sends, waits, records, repeats.
void RunThreadProducer(
    const RunClock& clock, EventFactory factory, std::size_t event_bytes,
    const std::function<absl::StatusOr<v1::AppendResponse>(v1::AppendRequest)>&
        send,
    ProducerStats& stats) {
  while (!clock.stop.load(std::memory_order_relaxed)) {
    v1::AppendRequest request = factory.Next();
    const int events = EventCount(request);
    const Clock::time_point sent = Clock::now();
    absl::StatusOr<v1::AppendResponse> outcome = send(std::move(request));
    if (!Record(clock, stats, events, event_bytes, sent, outcome)) return;
  }
}

// Counts callback producers still running.
class Countdown {
 public:
  explicit Countdown(int count) : count_(count) {}
  void Done() {
    MutexLock lock(&mu_);
    --count_;
  }
  // True when the count reached zero within `timeout`.
  bool Wait(absl::Duration timeout) {
    MutexLock lock(&mu_);
    return mu_.AwaitWithTimeout(
        absl::Condition(
            +[](int* count) { return *count == 0; }, &count_),
        timeout);
  }

 private:
  Mutex mu_;
  int count_ ABSL_GUARDED_BY(mu_);
};

// A producer without a thread: it sends its next append from the reply
// callback of the previous one (on a gRPC thread), so 64 producers cost no
// more threads than gRPC's own.
class CallbackProducer {
 public:
  CallbackProducer(const RunClock* clock, EventFactory factory,
                   std::size_t event_bytes, AppendSession* session,
                   ProducerStats* stats, Countdown* running)
      : clock_(clock),
        factory_(std::move(factory)),
        event_bytes_(event_bytes),
        session_(session),
        stats_(stats),
        running_(running) {}

  void SendNext() {
    if (clock_->stop.load(std::memory_order_relaxed)) {
      running_->Done();
      return;
    }
    v1::AppendRequest request = factory_.Next();
    const int events = EventCount(request);
    const Clock::time_point sent = Clock::now();
    session_->AppendAsync(
        std::move(request),
        [this, events,
         sent](const absl::StatusOr<v1::AppendResponse>& outcome) {
          if (!Record(*clock_, *stats_, events, event_bytes_, sent, outcome)) {
            running_->Done();
            return;
          }
          SendNext();
        });
  }

 private:
  const RunClock* const clock_;
  EventFactory factory_;
  const std::size_t event_bytes_;
  AppendSession* const session_;
  ProducerStats* const stats_;
  Countdown* const running_;
};

// Prints the report of a workload that runs in a function of its own (W3
// to W6) like the others; returns the exit status.
int Report(const RunConfig& config, const absl::StatusOr<RunResult>& result,
           bool json) {
  if (!result.ok()) {
    std::cerr << "evstore-bench: " << result.status().ToString() << "\n";
    return 2;
  }
  const std::string table = FormatTable(config, *result);
  if (json) {
    std::cerr << table << std::flush;
    std::cout << FormatJson(config, *result) << std::endl;
  } else {
    std::cout << table << std::flush;
  }
  return result->errors == 0 ? 0 : 1;
}

// W3 to W6.
int RunWorkloadFunction(const Client& client, const RunConfig& config,
                        bool json, int server_pid) {
  DriverOptions driver;
  driver.producers = config.producers;
  driver.warmup_s = config.warmup_s;
  driver.duration_s = config.duration_s;
  driver.server_pid = server_pid;
  if (config.workload == "latency") {
    return Report(config, RunEvstoreLatencyWorkload(client, config, driver),
                  json);
  }
  if (config.workload == "catchup") {
    return Report(config, RunCatchupWorkload(client, config, server_pid), json);
  }
  if (config.workload == "growth") {
    return Report(config, RunGrowthWorkload(client, config, driver), json);
  }
  return Report(config, RunIdleSubscribersWorkload(client, config, driver),
                json);
}

absl::Status ValidateConfig(const RunConfig& config) {
  const std::string& w = config.workload;
  if (w != "batched" && w != "single" && w != "latency" && w != "catchup" &&
      w != "growth" && w != "idle_subscribers") {
    return absl::InvalidArgumentError(
        absl::StrCat("--workload: expected batched, single, latency, catchup, "
                     "growth or idle_subscribers, got \"",
                     w, "\""));
  }
  if ((w == "catchup" || w == "growth") &&
      (config.load_producers < 1 || config.load_batch < 1)) {
    return absl::InvalidArgumentError(
        "--load_producers and --load_batch must be at least 1");
  }
  if (w == "catchup" && config.preload_events < 1) {
    return absl::InvalidArgumentError("--preload_events must be at least 1");
  }
  if (w == "growth" && !(config.growth_settle_s >= 0)) {
    return absl::InvalidArgumentError("--growth_settle must not be negative");
  }
  if (w == "idle_subscribers" &&
      (config.idle_subscriptions < 0 || config.idle_connections < 1 ||
       (config.idle_kind != "quiet" && config.idle_kind != "filtered"))) {
    return absl::InvalidArgumentError(
        "--idle_subscriptions must not be negative, --idle_connections at "
        "least 1, --idle_kind quiet or filtered");
  }
  if (IsLatencyWorkload(w) && (!(config.rate > 0) || config.subscribers < 0 ||
                               config.event_bytes < kMinStampedPayloadBytes)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "latency: --rate must be positive, --subscribers not negative and "
        "--event_bytes at least ",
        kMinStampedPayloadBytes));
  }
  if (config.transport != "session" && config.transport != "unary" &&
      w != "catchup") {
    return absl::InvalidArgumentError(
        absl::StrCat("--transport: expected session or unary, got \"",
                     config.transport, "\""));
  }
  if (config.session_api != "callback" && config.session_api != "future") {
    return absl::InvalidArgumentError(
        absl::StrCat("--session_api: expected callback or future, got \"",
                     config.session_api, "\""));
  }
  if (config.ids != "random" && config.ids != "time-ordered") {
    return absl::InvalidArgumentError(absl::StrCat(
        "--ids: expected random or time-ordered, got \"", config.ids, "\""));
  }
  if (config.address.empty()) {
    return absl::InvalidArgumentError("--address is empty");
  }
  if (config.transport == "session" && config.sessions < 1) {
    return absl::InvalidArgumentError("--sessions must be at least 1");
  }
  if (config.producers < 1 || config.batch < 1 || config.customers < 1 ||
      config.streams < 1 || config.event_bytes < 1) {
    return absl::InvalidArgumentError(
        "--producers, --batch, --customers, --streams and --event_bytes "
        "must be at least 1");
  }
  if (!(config.duration_s > 0) || !(config.warmup_s >= 0)) {
    return absl::InvalidArgumentError(
        "--duration must be positive and --warmup not negative");
  }
  return absl::OkStatus();
}

int Main(int argc, char* argv[]) {
  // --help lists the flags defined in bench/ (absl matches the program name
  // against file names by default, and evstore-bench != evstore_bench.cc).
  absl::FlagsUsageConfig usage_config;
  usage_config.contains_help_flags = [](absl::string_view path) {
    return absl::StrContains(path, "bench/");
  };
  usage_config.contains_helpshort_flags = usage_config.contains_help_flags;
  absl::SetFlagsUsageConfig(usage_config);
  absl::SetProgramUsageMessage(
      "closed-loop append load against evstored; see bench/evstore_bench.cc "
      "and BENCHMARKS.md");
  absl::ParseCommandLine(argc, argv);

  RunConfig config;
  config.address = absl::GetFlag(FLAGS_address);
  config.token = BenchToken(absl::GetFlag(FLAGS_token));
  config.workload = absl::GetFlag(FLAGS_workload);
  // growth is batched twice; catchup has one subscriber and no producers.
  const bool batched =
      config.workload == "batched" || config.workload == "growth";
  const bool catchup = config.workload == "catchup";
  // The batched workload always uses unary Append.
  config.transport = batched   ? "unary"
                     : catchup ? "subscribe"
                               : absl::GetFlag(FLAGS_transport);
  config.session_api = absl::GetFlag(FLAGS_session_api);
  config.producers = absl::GetFlag(FLAGS_producers);
  const bool latency = IsLatencyWorkload(config.workload);
  if (config.producers == 0 || catchup) {
    config.producers = batched ? 16 : latency ? 32 : catchup ? 1 : 64;
  }
  config.sessions =
      config.transport == "session" ? absl::GetFlag(FLAGS_sessions) : 0;
  config.batch = batched ? absl::GetFlag(FLAGS_batch) : 1;
  const int64_t event_bytes = absl::GetFlag(FLAGS_event_bytes);
  config.event_bytes =
      event_bytes > 0 ? static_cast<std::size_t>(event_bytes) : 0;
  config.customers = absl::GetFlag(FLAGS_customers);
  config.streams = absl::GetFlag(FLAGS_streams);
  config.duration_s = absl::GetFlag(FLAGS_duration);
  config.warmup_s = absl::GetFlag(FLAGS_warmup);
  config.label = absl::GetFlag(FLAGS_label);
  config.ids = absl::GetFlag(FLAGS_ids);
  if (latency) {
    // Its producers wait on futures (see evstore_latency_workload.h).
    config.session_api = "future";
    config.subscribers = absl::GetFlag(FLAGS_subscribers);
    config.rate = absl::GetFlag(FLAGS_rate);
  }
  config.load_producers = absl::GetFlag(FLAGS_load_producers);
  config.load_batch = absl::GetFlag(FLAGS_load_batch);
  const int64_t preload_events = absl::GetFlag(FLAGS_preload_events);
  const int64_t growth_events = absl::GetFlag(FLAGS_growth_events);
  config.preload_events =
      preload_events > 0 ? static_cast<std::uint64_t>(preload_events) : 0;
  config.growth_events =
      growth_events > 0 ? static_cast<std::uint64_t>(growth_events) : 0;
  config.growth_settle_s = absl::GetFlag(FLAGS_growth_settle);
  config.server_data_dir = absl::GetFlag(FLAGS_server_data_dir);
  config.idle_subscriptions = absl::GetFlag(FLAGS_idle_subscriptions);
  config.idle_connections = absl::GetFlag(FLAGS_idle_connections);
  config.idle_kind = absl::GetFlag(FLAGS_idle_kind);
  const bool json = absl::GetFlag(FLAGS_json);
  const int server_pid = absl::GetFlag(FLAGS_server_pid);
  if (absl::Status valid = ValidateConfig(config); !valid.ok()) {
    std::cerr << "evstore-bench: " << valid.message() << "\n";
    return 2;
  }

  absl::StatusOr<std::unique_ptr<Client>> client =
      Client::Connect({.address = config.address,
                       .default_deadline = absl::Seconds(30),
                       .connect_timeout = absl::Seconds(10),
                       .token = config.token});
  if (!client.ok()) {
    std::cerr << "evstore-bench: " << client.status().ToString() << "\n";
    return 2;
  }
  if (config.workload != "batched" && config.workload != "single") {
    return RunWorkloadFunction(**client, config, json, server_pid);
  }

  const WorkloadShape shape{
      .event_bytes = config.event_bytes,
      .events_per_append = config.batch,
      .customers = config.customers,
      .streams = config.streams,
      .ids = config.ids == "random" ? IdKind::kRandom : IdKind::kTimeOrdered};
  std::random_device entropy;
  const std::uint64_t base_seed =
      (static_cast<std::uint64_t>(entropy()) << 32) ^ entropy() ^
      static_cast<std::uint64_t>(Clock::now().time_since_epoch().count());
  auto factory_for = [&](int producer) {
    return EventFactory(
        shape, producer,
        base_seed +
            0x9e3779b97f4a7c15ULL * static_cast<std::uint64_t>(producer + 1));
  };

  std::vector<ProducerStats> stats(static_cast<std::size_t>(config.producers));
  std::vector<std::unique_ptr<AppendSession>> sessions;
  sessions.reserve(static_cast<std::size_t>(config.sessions));
  for (int s = 0; s < config.sessions; ++s) {
    sessions.push_back((*client)->OpenAppendSession());
  }

  RunClock clock;
  const Clock::time_point start = Clock::now();
  auto seconds = [](double s) {
    return std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(s));
  };
  clock.warm_end = start + seconds(config.warmup_s);
  clock.end = clock.warm_end + seconds(config.duration_s);

  // Start the producers.
  std::vector<std::thread> threads;
  std::vector<std::unique_ptr<CallbackProducer>> callback_producers;
  const bool use_callbacks =
      config.transport == "session" && config.session_api == "callback";
  Countdown callbacks_running(use_callbacks ? config.producers : 0);
  std::function<absl::StatusOr<v1::AppendResponse>(int, v1::AppendRequest)>
      send;
  if (config.transport == "unary") {
    const Client* c = client->get();
    send = [c](int, const v1::AppendRequest& request) {
      return c->Append(request);
    };
  } else {
    send = [&sessions](int producer, v1::AppendRequest request) {
      AppendSession& session =
          *sessions[static_cast<std::size_t>(producer) % sessions.size()];
      return session.Append(std::move(request)).get();
    };
  }
  if (use_callbacks) {
    for (int p = 0; p < config.producers; ++p) {
      callback_producers.push_back(std::make_unique<CallbackProducer>(
          &clock, factory_for(p), config.event_bytes,
          sessions[static_cast<std::size_t>(p) % sessions.size()].get(),
          &stats[static_cast<std::size_t>(p)], &callbacks_running));
    }
    for (auto& producer : callback_producers) producer->SendNext();
  } else {
    for (int p = 0; p < config.producers; ++p) {
      threads.emplace_back([&, p, factory = factory_for(p)]() mutable {
        RunThreadProducer(
            clock, std::move(factory), config.event_bytes,
            [&send, p](v1::AppendRequest request) {
              return send(p, std::move(request));
            },
            stats[static_cast<std::size_t>(p)]);
      });
    }
  }

  // Measure.
  std::this_thread::sleep_until(clock.warm_end);
  RunResult result;
  result.load_before = ReadLoadAverage();
  const CpuSnapshot cpu_before = TakeCpuSnapshot(server_pid);
  const Clock::time_point window_start = Clock::now();
  std::this_thread::sleep_until(clock.end);
  const CpuSnapshot cpu_after = TakeCpuSnapshot(server_pid);
  const Clock::time_point window_end = Clock::now();
  result.load_after = ReadLoadAverage();
  clock.stop.store(true);

  // Drain: every append in flight is awaited.
  for (std::thread& thread : threads) thread.join();
  if (use_callbacks && !callbacks_running.Wait(absl::Seconds(60))) {
    result.errors += 1;
    result.first_error =
        "appends still unanswered 60 s after the run ended; cancelled them";
    for (auto& session : sessions) session->Cancel();
    callbacks_running.Wait(absl::InfiniteDuration());
  }
  // Failures of the sessions themselves come after those of appends.
  std::uint64_t close_errors = 0;
  std::string first_close_error;
  for (auto& session : sessions) {
    absl::Status closed = session->Close(absl::Seconds(30));
    if (!closed.ok()) {
      ++close_errors;
      if (first_close_error.empty()) {
        first_close_error =
            absl::StrCat("closing an append session: ", closed.ToString());
      }
    }
  }

  // Aggregate. Appends count by their acknowledgement time in the nominal
  // window; CPU use is over the (microseconds longer) measured interval.
  result.window_s =
      std::chrono::duration<double>(clock.end - clock.warm_end).count();
  const double cpu_interval_s =
      std::chrono::duration<double>(window_end - window_start).count();
  std::vector<std::int64_t> latencies;
  for (ProducerStats& s : stats) {
    result.appends += s.appends;
    result.events += s.events;
    result.bytes += s.bytes;
    result.total_events += s.total_events;
    result.errors += s.errors;
    if (result.first_error.empty() && !s.first_error.empty()) {
      result.first_error = s.first_error;
    }
    latencies.insert(latencies.end(), s.latencies_ns.begin(),
                     s.latencies_ns.end());
    std::vector<std::int64_t>().swap(s.latencies_ns);
  }
  result.errors += close_errors;
  if (result.first_error.empty()) result.first_error = first_close_error;
  result.latency = Summarize(latencies);
  SetCpuUse(cpu_before, cpu_after, cpu_interval_s, result);

  const std::string table = FormatTable(config, result);
  if (json) {
    std::cerr << table << std::flush;
    std::cout << FormatJson(config, result) << std::endl;
  } else {
    std::cout << table << std::flush;
  }
  return result.errors == 0 ? 0 : 1;
}

}  // namespace
}  // namespace evstore::bench

int main(int argc, char* argv[]) { return evstore::bench::Main(argc, argv); }
