// evstore-stalled-bench: what subscribers that stop reading cost everybody
// else. Two runs against one evstored, then a drain:
//
//   baseline  --producers append --events events of --event_bytes bytes in
//             appends of --batch (closed loop, unary Append, customers
//             round-robin) while --healthy live subscribers (spread over
//             the customers) receive them; measures producer throughput and
//             delivery latency (send of the append to receipt of the event).
//   stalled   the same, with --stalled more subscriptions (from the head,
//             on --stalled_connections connections of their own, client
//             queue of one message) that never read while the events are
//             appended; samples the server's RSS (--server_pid) every 100 ms.
//   drain     the stalled subscriptions start reading (--drain_threads
//             threads) and must receive every event of their customer since
//             they subscribed, in order, without gap or duplicate.
//
// Healthy subscribers must receive every event, in order, in both runs.
// Prints a summary; exit status 0 when every check passed, 1 when any
// failed, 2 for bad flags.
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/bench_token.h"
#include "bench/feed_checker.h"
#include "bench/measurement.h"
#include "client/evstore_client.h"

ABSL_FLAG(std::string, address, "127.0.0.1:50051", "evstored address");
ABSL_FLAG(std::string, token, "",
          "access token (evs_...); default: $EVSTORE_TOKEN");
ABSL_FLAG(int32_t, server_pid, 0, "evstored's pid, for its RSS (required)");
ABSL_FLAG(int32_t, customers, 20, "customers the events are spread over");
ABSL_FLAG(int32_t, producers, 4, "concurrent producers (unary Append)");
ABSL_FLAG(int32_t, batch, 100, "events per append");
ABSL_FLAG(int64_t, event_bytes, 256, "bytes of JSON payload per event");
ABSL_FLAG(int64_t, events, 1'000'000, "events appended in each run");
ABSL_FLAG(int32_t, healthy, 10, "live subscribers that keep up");
ABSL_FLAG(int32_t, stalled, 2000, "subscriptions that stop reading");
ABSL_FLAG(int32_t, stalled_connections, 20,
          "connections the stalled subscriptions are spread over");
ABSL_FLAG(bool, stalled_bdp_probe, true,
          "let gRPC's bandwidth probing grow the stalled subscriptions' "
          "receive windows (the client library's default); false keeps "
          "them at HTTP/2's initial 64 KiB");
ABSL_FLAG(int32_t, drain_threads, 8, "threads draining the stalled ones");
ABSL_FLAG(double, timeout, 1800, "seconds any phase may take at most");

namespace evstore::bench {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;

struct Settings {
  std::string address;
  std::string token;
  int server_pid;
  int customers, producers, batch;
  std::size_t event_bytes;
  std::int64_t events;
  int healthy, stalled, stalled_connections, drain_threads;
  bool stalled_bdp_probe;
  absl::Duration timeout;
};

// The peak RSS of this process (the client side of every subscription).
std::uint64_t ProcessRssPeakBytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<std::uint64_t>(usage.ru_maxrss) * 1024;  // In KiB.
}

std::string Customer(int i) { return absl::StrCat("stalled-bench-", i); }

std::string RandomUuid(std::mt19937_64& random) {
  const std::uint64_t hi = random(), lo = random();
  return absl::StrFormat("%08x-%04x-4%03x-8%03x-%012x", hi >> 32,
                         (hi >> 16) & 0xffff, hi & 0xfff, lo >> 52,
                         lo & 0xffffffffffffULL);
}

// The head of each customer's feed.
std::vector<std::uint64_t> Heads(const client::Client& client, int customers) {
  std::vector<std::uint64_t> heads;
  for (int c = 0; c < customers; ++c) {
    v1::ReadRequest request;
    request.set_customer(Customer(c));
    request.set_direction(v1::READ_DIRECTION_BACKWARDS);
    request.set_max_count(1);
    absl::StatusOr<std::vector<v1::RecordedEvent>> last =
        client.ReadAll(request);
    heads.push_back(last.ok() && !last->empty() ? last->front().position() : 0);
  }
  return heads;
}

v1::SubscribeRequest SubscribeAfter(int customer, std::uint64_t position) {
  v1::SubscribeRequest request;
  request.set_customer(Customer(customer));
  request.set_after_position(position);
  return request;
}

// Samples a process's RSS every 100 ms; keeps the peak.
class PeakRss {
 public:
  explicit PeakRss(int pid) : pid_(pid) {
    thread_ = std::thread([this] {
      while (!stop_.load()) {
        peak_.store(std::max(peak_.load(), ProcessRssBytes(pid_)));
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    });
  }
  ~PeakRss() { Stop(); }
  std::uint64_t Stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
    return peak_.load();
  }

 private:
  const int pid_;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> peak_{0};
  std::thread thread_;
};

struct ProduceResult {
  double seconds = 0;
  std::int64_t events = 0;
  std::int64_t errors = 0;
  std::string first_error;
};

// Appends `events` events in appends of `batch` from `producers` threads.
ProduceResult Produce(const Settings& s) {
  absl::StatusOr<std::unique_ptr<client::Client>> client =
      client::Client::Connect({.address = s.address, .token = s.token});
  ProduceResult result;
  if (!client.ok()) {
    result.errors = 1;
    result.first_error = client.status().ToString();
    return result;
  }
  const std::int64_t appends = s.events / s.batch;
  std::atomic<std::int64_t> next_append{0};
  absl::Mutex mu;
  const absl::Time start = absl::Now();
  std::vector<std::thread> threads;
  threads.reserve(static_cast<std::size_t>(s.producers));
  for (int p = 0; p < s.producers; ++p) {
    threads.emplace_back([&, p] {
      std::mt19937_64 random(
          0x5eed0000ULL + static_cast<std::uint64_t>(p) +
          static_cast<std::uint64_t>(absl::ToUnixNanos(start)));
      for (std::int64_t a = next_append.fetch_add(1); a < appends;
           a = next_append.fetch_add(1)) {
        v1::AppendRequest request;
        request.set_customer(Customer(static_cast<int>(a % s.customers)));
        v1::StreamWrite* write = request.add_writes();
        write->set_stream(absl::StrCat("meter/M", random() % 100, "/readings"));
        const std::string payload = TimedPayload(SteadyNowNs(), s.event_bytes);
        for (int e = 0; e < s.batch; ++e) {
          v1::ProposedEvent* event = write->add_events();
          event->set_id(RandomUuid(random));
          event->set_type("MeterRead");
          event->set_data(payload);
        }
        absl::StatusOr<v1::AppendResponse> response =
            (*client)->Append(request);
        absl::MutexLock lock(&mu);
        if (response.ok()) {
          result.events += s.batch;
        } else if (result.errors++ == 0) {
          result.first_error = response.status().ToString();
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  result.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  return result;
}

struct RunResult {
  ProduceResult produce;
  LatencySummary latency;
  std::uint64_t rss_before = 0, rss_peak = 0, rss_after = 0;
  bool healthy_ok = true;
  std::string healthy_error;
};

// Checks a set of FeedCheckers on their own threads.
class CheckerThreads {
 public:
  // Runs checkers[i] for i = t, t + threads, ... on thread t.
  CheckerThreads(std::vector<std::unique_ptr<FeedChecker>>& checkers,
                 int threads, absl::Duration timeout)
      : failures_(checkers.size()) {
    for (int t = 0; t < threads; ++t) {
      threads_.emplace_back([&checkers, this, t, threads, timeout] {
        for (std::size_t i = static_cast<std::size_t>(t); i < checkers.size();
             i += static_cast<std::size_t>(threads)) {
          if (!checkers[i]->Run(timeout)) failures_[i] = checkers[i]->error();
          // A drained subscription is cancelled right away.
          checkers[i]->Close();
        }
      });
    }
  }
  // Joins; returns the first failure ("" when none).
  std::string Join() {
    for (std::thread& t : threads_) t.join();
    for (const std::string& f : failures_) {
      if (!f.empty()) return f;
    }
    return "";
  }

 private:
  std::vector<std::string> failures_;
  std::vector<std::thread> threads_;
};

RunResult RunOnce(const Settings& s, bool with_stalled, int* exit_status) {
  absl::StatusOr<std::unique_ptr<client::Client>> client =
      client::Client::Connect({.address = s.address, .token = s.token});
  if (!client.ok()) {
    std::fprintf(stderr, "cannot connect: %s\n",
                 client.status().ToString().c_str());
    std::exit(2);
  }
  const std::vector<std::uint64_t> start = Heads(**client, s.customers);

  std::vector<std::unique_ptr<FeedChecker>> stalled;
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  if (with_stalled) {
    for (int c = 0; c < s.stalled_connections; ++c) {
      grpc::ChannelArguments arguments;
      arguments.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
      arguments.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, s.stalled_bdp_probe ? 1 : 0);
      arguments.SetMaxReceiveMessageSize(64 << 20);
      channels.push_back(grpc::CreateCustomChannel(
          s.address, grpc::InsecureChannelCredentials(), arguments));
    }
    for (int i = 0; i < s.stalled; ++i) {
      const int customer = i % s.customers;
      stalled.push_back(std::make_unique<FeedChecker>(
          std::make_unique<client::Subscription>(
              channels[static_cast<std::size_t>(i) % channels.size()],
              SubscribeAfter(customer, start[customer]),
              client::SubscriptionOptions{.max_queued_messages = 1}, s.token),
          start[customer], /*measure_latency=*/false));
    }
  }
  std::vector<std::unique_ptr<FeedChecker>> healthy;
  for (int i = 0; i < s.healthy; ++i) {
    const int customer = i % s.customers;
    healthy.push_back(std::make_unique<FeedChecker>(
        (*client)->Subscribe(SubscribeAfter(customer, start[customer])),
        start[customer], /*measure_latency=*/true));
  }
  absl::SleepFor(absl::Seconds(2));  // Let every subscription reach the head.

  RunResult result;
  result.rss_before = ProcessRssBytes(s.server_pid);
  PeakRss peak(s.server_pid);
  CheckerThreads healthy_threads(healthy, s.healthy, s.timeout);
  result.produce = Produce(s);
  const std::vector<std::uint64_t> end = Heads(**client, s.customers);
  for (int i = 0; i < s.healthy; ++i) {
    healthy[static_cast<std::size_t>(i)]->SetTarget(end[i % s.customers]);
  }
  result.healthy_error = healthy_threads.Join();
  result.healthy_ok = result.healthy_error.empty();
  absl::SleepFor(absl::Seconds(1));
  result.rss_peak = peak.Stop();
  result.rss_after = ProcessRssBytes(s.server_pid);
  std::vector<std::int64_t> latencies;
  for (auto& h : healthy) {
    latencies.insert(latencies.end(), h->latencies_ns().begin(),
                     h->latencies_ns().end());
  }
  result.latency = Summarize(latencies);
  if (!result.healthy_ok || result.produce.errors > 0) *exit_status = 1;

  std::printf(
      "%-8s appended %lld events in %.1f s: %.0f events/s (%lld failed "
      "appends%s%s)\n"
      "         healthy latency p50 %.2f ms, p99 %.2f ms, max %.1f ms over "
      "%llu events; healthy subscribers %s\n"
      "         server RSS before %.0f MiB, peak %.0f MiB, after %.0f MiB; "
      "this process's peak RSS so far %.0f MiB\n",
      with_stalled ? "stalled" : "baseline",
      static_cast<long long>(result.produce.events), result.produce.seconds,
      static_cast<double>(result.produce.events) / result.produce.seconds,
      static_cast<long long>(result.produce.errors),
      result.produce.errors > 0 ? ": " : "", result.produce.first_error.c_str(),
      result.latency.p50_ms, result.latency.p99_ms, result.latency.max_ms,
      static_cast<unsigned long long>(result.latency.samples),
      result.healthy_ok ? "received everything in order"
                        : ("FAILED: " + result.healthy_error).c_str(),
      static_cast<double>(result.rss_before) / kMiB,
      static_cast<double>(result.rss_peak) / kMiB,
      static_cast<double>(result.rss_after) / kMiB,
      static_cast<double>(ProcessRssPeakBytes()) / kMiB);
  std::fflush(stdout);

  if (with_stalled) {
    for (int i = 0; i < s.stalled; ++i) {
      stalled[static_cast<std::size_t>(i)]->SetTarget(end[i % s.customers]);
    }
    PeakRss drain_peak(s.server_pid);
    const absl::Time drain_start = absl::Now();
    CheckerThreads drain(stalled, s.drain_threads, s.timeout);
    const std::string failure = drain.Join();
    const double drain_s = absl::ToDoubleSeconds(absl::Now() - drain_start);
    std::uint64_t delivered = 0;
    for (auto& c : stalled) delivered += c->events();
    if (!failure.empty()) *exit_status = 1;
    std::printf(
        "drain    %d stalled subscriptions received %llu events in %.1f s "
        "(%.0f events/s), server RSS peak %.0f MiB: %s\n",
        s.stalled, static_cast<unsigned long long>(delivered), drain_s,
        static_cast<double>(delivered) / drain_s,
        static_cast<double>(drain_peak.Stop()) / kMiB,
        failure.empty() ? "every one complete and in order"
                        : ("FAILED: " + failure).c_str());
  }
  return result;
}

}  // namespace
}  // namespace evstore::bench

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "evstore-stalled-bench --server_pid=PID [--address=HOST:PORT] ...: "
      "producer throughput and subscriber latency with and without "
      "subscriptions that stop reading (see the source's header)");
  absl::ParseCommandLine(argc, argv);
  evstore::bench::Settings s{
      .address = absl::GetFlag(FLAGS_address),
      .token = evstore::bench::BenchToken(absl::GetFlag(FLAGS_token)),
      .server_pid = absl::GetFlag(FLAGS_server_pid),
      .customers = absl::GetFlag(FLAGS_customers),
      .producers = absl::GetFlag(FLAGS_producers),
      .batch = absl::GetFlag(FLAGS_batch),
      .event_bytes = static_cast<std::size_t>(absl::GetFlag(FLAGS_event_bytes)),
      .events = absl::GetFlag(FLAGS_events),
      .healthy = absl::GetFlag(FLAGS_healthy),
      .stalled = absl::GetFlag(FLAGS_stalled),
      .stalled_connections = absl::GetFlag(FLAGS_stalled_connections),
      .drain_threads = absl::GetFlag(FLAGS_drain_threads),
      .stalled_bdp_probe = absl::GetFlag(FLAGS_stalled_bdp_probe),
      .timeout = absl::Seconds(absl::GetFlag(FLAGS_timeout))};
  if (s.server_pid <= 0 || s.customers < 1 || s.producers < 1 || s.batch < 1 ||
      s.event_bytes < 48 || s.events < s.batch || s.healthy < 1 ||
      s.stalled < 0 || s.stalled_connections < 1 || s.drain_threads < 1) {
    std::fprintf(stderr,
                 "evstore-stalled-bench: bad flags (see --help); "
                 "--server_pid is required\n");
    return 2;
  }
  int exit_status = 0;
  const evstore::bench::RunResult baseline =
      evstore::bench::RunOnce(s, /*with_stalled=*/false, &exit_status);
  const evstore::bench::RunResult stalled =
      evstore::bench::RunOnce(s, /*with_stalled=*/true, &exit_status);
  const double rate_base =
      static_cast<double>(baseline.produce.events) / baseline.produce.seconds;
  const double rate_stalled =
      static_cast<double>(stalled.produce.events) / stalled.produce.seconds;
  std::printf(
      "ratios   (stalled / baseline) throughput %.2f, latency p50 %.2f, "
      "p99 %.2f; RSS growth while stalled %.0f MiB (%.0f KiB per stalled "
      "subscription)\n",
      rate_stalled / rate_base,
      stalled.latency.p50_ms / baseline.latency.p50_ms,
      stalled.latency.p99_ms / baseline.latency.p99_ms,
      (static_cast<double>(stalled.rss_peak) -
       static_cast<double>(stalled.rss_before)) /
          evstore::bench::kMiB,
      s.stalled > 0 ? (static_cast<double>(stalled.rss_peak) -
                       static_cast<double>(stalled.rss_before)) /
                          1024.0 / s.stalled
                    : 0.0);
  return exit_status;
}
