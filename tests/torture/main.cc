// evstore-torture: a crash-consistency driver for evstore.
//
// Each cycle starts evstored on the same data directory (recovering from the
// previous kill), verifies every customer against what was acknowledged (see
// feed_verifier.h), then runs concurrent producers and one live subscriber
// per customer for a random 0.2-2 s and kills the server with SIGKILL while
// appends are in flight. After the last cycle the server is restarted and
// verified once more, then stopped gracefully.
//
// Exit status: 0 when every check passed, 1 on a violation (each printed with
// the seed, cycle and customer; the data directory is kept), 2 on bad flags
// or when the driver itself could not run.
#include <sys/wait.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "client/evstore_client.h"
#include "tests/support/evstored_server.h"
#include "tests/torture/customer_model.h"
#include "tests/torture/feed_subscriber.h"
#include "tests/torture/feed_verifier.h"
#include "tests/torture/producers.h"
#include "tests/torture/request_factory.h"
#include "tests/torture/sent_append.h"
#include "tests/torture/torture_totals.h"

ABSL_FLAG(int, cycles, 20, "kill -9 cycles to run");
ABSL_FLAG(uint64_t, seed, 0, "random seed; 0 picks one (printed at start)");
ABSL_FLAG(std::string, data_dir, "",
          "work directory (evstored data in <dir>/data, its log in "
          "<dir>/evstored.log); must not hold data yet. Default: a new "
          "temporary directory, removed after a passing run");
ABSL_FLAG(std::string, evstored, EVSTORE_EVSTORED_PATH, "the evstored binary");
ABSL_FLAG(std::vector<std::string>, evstored_flags, {},
          "extra evstored flags, comma-separated (e.g. --durability=buffered)");
ABSL_FLAG(int, customers, 3, "customers written to");
ABSL_FLAG(int, streams, 50, "streams per customer");
ABSL_FLAG(int, unary_producers, 2, "single-event producers over Append");
ABSL_FLAG(int, session_producers, 1,
          "single-event producers over an AppendSession");
ABSL_FLAG(int, session_in_flight, 8, "appends in flight per session producer");
ABSL_FLAG(int, twin_percent, 5,
          "percent of session appends sent twice at once (a retry while the "
          "first attempt is in flight)");
ABSL_FLAG(int, batch_producers, 1, "batched producers over Append");
ABSL_FLAG(int, max_batch_events, 100, "events per batched append, at most");
ABSL_FLAG(int, expected_revision_percent, 20,
          "percent of stream writes that carry an expected revision");
ABSL_FLAG(int, min_run_ms, 200, "shortest producing time before the kill");
ABSL_FLAG(int, max_run_ms, 2000, "longest producing time before the kill");
ABSL_FLAG(int, subscriber_min_reconnect_ms, 50,
          "a subscriber drops and resumes its subscription after a random "
          "time between this and --subscriber_max_reconnect_ms");
ABSL_FLAG(int, subscriber_max_reconnect_ms, 1000,
          "0: one subscription per customer and cycle");
ABSL_FLAG(int, retry_sample, 200,
          "acknowledged appends re-sent per customer and cycle (0: all)");
ABSL_FLAG(int, get_sample, 1000,
          "acknowledged ids fetched by GetEvents per customer and cycle, "
          "newest and as many random ones (0: all)");
ABSL_FLAG(std::string, json, "",
          "also write the summary as JSON to this file ('-': stdout)");

namespace evstore::torture {
namespace {

struct Flags {
  int cycles;
  uint64_t seed;
  std::string root;
  bool temporary_root;
  WorkloadShape shape;
  int unary_producers, session_producers, session_in_flight, batch_producers;
  int min_run_ms, max_run_ms;
  int twin_percent;
  VerifyOptions verify;
  SubscriberOptions subscriber;
  std::string json;
};

bool CheckFlags(Flags& flags) {
  const bool ok =
      flags.cycles >= 0 && flags.shape.customers >= 1 &&
      flags.shape.streams >= 1 && flags.shape.max_batch_events >= 1 &&
      flags.unary_producers >= 0 && flags.session_producers >= 0 &&
      flags.batch_producers >= 0 && flags.session_in_flight >= 1 &&
      flags.min_run_ms >= 0 && flags.max_run_ms >= flags.min_run_ms &&
      flags.subscriber.min_reconnect_ms >= 1 &&
      flags.subscriber.max_reconnect_ms >= 0;
  if (!ok) std::cerr << "evstore-torture: invalid flag values\n";
  return ok;
}

class TortureRun {
 public:
  explicit TortureRun(const Flags& flags)
      : flags_(flags),
        server_(testing::EvstoredServerOptions{
            .evstored_path = absl::GetFlag(FLAGS_evstored),
            .data_dir = flags.root + "/data",
            .run_dir = flags.root,
            .extra_flags = absl::GetFlag(FLAGS_evstored_flags),
            .environment = {}}),
        master_rng_(flags.seed),
        verify_rng_(flags.seed ^ 0x5DEECE66DULL),
        models_(static_cast<size_t>(flags.shape.customers)),
        heads_(static_cast<size_t>(flags.shape.customers)) {
    for (int c = 0; c < flags.shape.customers; ++c) {
      subscribers_.push_back(
          std::make_unique<FeedSubscriber>(CustomerName(c), flags.subscriber));
    }
  }

  // Returns the exit status.
  int Run() {
    const absl::Time start = absl::Now();
    totals_.seed = flags_.seed;
    for (int cycle = 1; cycle <= flags_.cycles + 1; ++cycle) {
      const bool last = cycle == flags_.cycles + 1;
      absl::Status started = server_.Start();
      if (!started.ok()) {
        Fail(cycle, -1,
             absl::StrCat("evstored did not restart: ", started.ToString()));
        return Finish(start);
      }
      absl::StatusOr<std::unique_ptr<client::Client>> client =
          client::Client::Connect(
              {.address = server_.address(), .token = server_.AdminToken()});
      if (!client.ok()) {
        Fail(cycle, -1, client.status().ToString());
        return Finish(start);
      }
      for (auto& subscriber : subscribers_) {
        subscriber->Start(**client, master_rng_());
      }
      const absl::Time verify_start = absl::Now();
      const VerifyCounts verified = VerifyAll(**client, cycle);
      const absl::Duration verify_time = absl::Now() - verify_start;
      if (last || totals_.violations > 0) {
        for (auto& subscriber : subscribers_) subscriber->Join();
        if (totals_.violations == 0) StopGracefully(cycle);
        break;
      }
      const CycleStats stats = RunWorkload(**client, cycle);
      for (auto& subscriber : subscribers_) subscriber->Join();
      ++totals_.cycles;
      std::cout << absl::StrFormat(
                       "cycle %d: verified %d events in %.2fs (read %.2fs, "
                       "check %.2fs, get %.2fs, retries %.2fs, subscribers "
                       "%.2fs), produced %dms then kill -9: acked %d appends "
                       "(%d events), %d conflicts, %d unknown outcome",
                       cycle, verified.feed_head,
                       absl::ToDoubleSeconds(verify_time),
                       absl::ToDoubleSeconds(verified.read_time),
                       absl::ToDoubleSeconds(verified.check_time),
                       absl::ToDoubleSeconds(verified.get_events_time),
                       absl::ToDoubleSeconds(verified.retry_time),
                       absl::ToDoubleSeconds(verified.subscriber_time),
                       stats.run_ms, stats.acked, stats.events, stats.conflicts,
                       stats.unknown)
                << std::endl;
    }
    return Finish(start);
  }

 private:
  struct CycleStats {
    int run_ms = 0;
    uint64_t acked = 0, events = 0, conflicts = 0, unknown = 0;
  };

  // Prints a violation; of each kind (the text before its first ':') only
  // the first few, Finish() says how many more there were.
  void Fail(int cycle, int customer, const std::string& text) {
    ++totals_.violations;
    if (++failures_by_kind_[text.substr(0, text.find(':'))] > 10) return;
    std::cout << "VIOLATION seed=" << flags_.seed << " cycle=" << cycle
              << (customer >= 0 ? " customer=" + CustomerName(customer) : "")
              << ": " << text << std::endl;
  }

  // Verifies every customer; returns the sum of their counts.
  VerifyCounts VerifyAll(const client::Client& client, int cycle) {
    VerifyCounts sum;
    for (int c = 0; c < flags_.shape.customers; ++c) {
      std::vector<std::string> violations;
      const VerifyCounts counts =
          VerifyCustomer(client, c, flags_.verify, verify_rng_,
                         models_[static_cast<size_t>(c)],
                         *subscribers_[static_cast<size_t>(c)], &violations);
      totals_.Add(counts);
      heads_[static_cast<size_t>(c)] = counts.feed_head;
      sum.feed_head += counts.feed_head;
      sum.read_time += counts.read_time;
      sum.check_time += counts.check_time;
      sum.get_events_time += counts.get_events_time;
      sum.retry_time += counts.retry_time;
      sum.subscriber_time += counts.subscriber_time;
      for (const std::string& text : violations) Fail(cycle, c, text);
    }
    return sum;
  }

  CycleStats RunWorkload(const client::Client& client, int cycle) {
    std::atomic<bool> stop{false};
    OutcomeLog log;
    const ProducerContext context{&client, &stop, &log,
                                  &hints_, cycle, flags_.twin_percent};
    std::vector<std::unique_ptr<RequestFactory>> factories;
    std::vector<std::thread> threads;
    threads.reserve(static_cast<size_t>(flags_.unary_producers) +
                    static_cast<size_t>(flags_.session_producers) +
                    static_cast<size_t>(flags_.batch_producers));
    auto factory = [&]() -> RequestFactory& {
      factories.push_back(std::make_unique<RequestFactory>(
          flags_.shape, &hints_, master_rng_()));
      return *factories.back();
    };
    for (int i = 0; i < flags_.unary_producers; ++i) {
      threads.emplace_back(RunUnarySingleProducer, context,
                           std::ref(factory()));
    }
    for (int i = 0; i < flags_.session_producers; ++i) {
      threads.emplace_back(RunSessionProducer, context, std::ref(factory()),
                           flags_.session_in_flight);
    }
    for (int i = 0; i < flags_.batch_producers; ++i) {
      threads.emplace_back(RunUnaryBatchProducer, context, std::ref(factory()));
    }
    CycleStats stats;
    stats.run_ms = std::uniform_int_distribution<int>(
        flags_.min_run_ms, flags_.max_run_ms)(master_rng_);
    std::this_thread::sleep_for(std::chrono::milliseconds(stats.run_ms));
    if (absl::Status killed = server_.Kill(); !killed.ok()) {
      Fail(cycle, -1, killed.ToString());
    }
    stop = true;
    for (std::thread& thread : threads) thread.join();
    // Outcomes of twins by key.
    struct TwinOutcomes {
      int acked = 0;
      int originals = 0;  // acknowledged with duplicate=false
      int conflicts = 0;
    };
    absl::flat_hash_map<std::string, TwinOutcomes> twins;
    for (AppendOutcome& outcome : log.Take()) {
      CustomerModel& model =
          models_[static_cast<size_t>(outcome.sent.customer)];
      switch (outcome.kind) {
        case OutcomeKind::kAcked: {
          ++stats.acked;
          stats.events +=
              static_cast<uint64_t>(EventCount(outcome.sent.request));
          std::vector<std::string> violations;
          if (!outcome.sent.twin_key.empty()) {
            TwinOutcomes& twin = twins[outcome.sent.twin_key];
            ++twin.acked;
            if (!outcome.response.duplicate()) ++twin.originals;
          } else if (outcome.response.duplicate()) {
            violations.push_back(
                absl::StrCat("a first-time ", ChannelName(outcome.sent.channel),
                             " append was answered as a duplicate: ",
                             outcome.response.ShortDebugString()));
          }
          model.RecordAck(outcome.sent.request, outcome.response, &violations);
          for (const std::string& text : violations) {
            Fail(cycle, outcome.sent.customer, text);
          }
          break;
        }
        case OutcomeKind::kConflict:
          ++stats.conflicts;
          if (!outcome.sent.twin_key.empty()) {
            ++twins[outcome.sent.twin_key].conflicts;
          }
          model.RecordConflict(outcome.sent.request);
          break;
        case OutcomeKind::kUnknown:
          ++stats.unknown;
          model.RecordUnknown(std::move(outcome.sent));
          break;
      }
    }
    // Whichever twin is sequenced first decides; the other is its
    // duplicate (idempotency comes before the expected-revision check).
    for (const auto& [key, twin] : twins) {
      if (twin.acked == 2) ++totals_.twins_acked;
      if (twin.originals > 1 || (twin.acked == 2 && twin.originals != 1) ||
          (twin.acked > 0 && twin.conflicts > 0)) {
        Fail(
            cycle, -1,
            absl::StrCat("TWINS: the append with first id ", key,
                         " sent twice at once was acknowledged ", twin.acked,
                         " times (", twin.originals,
                         " with duplicate=false) and rejected ", twin.conflicts,
                         " times; one original and one duplicate expected"));
      }
    }
    totals_.appends_acked += stats.acked;
    totals_.events_acked += stats.events;
    totals_.conflicts += stats.conflicts;
    totals_.unknown_outcome += stats.unknown;
    return stats;
  }

  void StopGracefully(int cycle) {
    absl::StatusOr<int> status = server_.Stop();
    if (!status.ok() || !WIFEXITED(*status) || WEXITSTATUS(*status) != 0) {
      Fail(cycle, -1,
           absl::StrCat(
               "evstored did not stop cleanly on SIGTERM (status ",
               status.ok() ? absl::StrCat(*status) : status.status().ToString(),
               ")"));
    }
  }

  int Finish(absl::Time start) {
    if (server_.running()) (void)server_.Kill();
    for (auto& subscriber : subscribers_) {
      subscriber->Join();
      totals_.subscriber_events += subscriber->last_position();
      totals_.subscriber_reconnects += subscriber->reconnects();
    }
    totals_.feed_events = 0;
    for (uint64_t head : heads_) totals_.feed_events += head;
    totals_.elapsed_seconds = absl::ToDoubleSeconds(absl::Now() - start);
    for (const auto& [kind, count] : failures_by_kind_) {
      if (count > 10) {
        std::cout << "VIOLATION " << kind << ": " << count - 10
                  << " more not shown" << std::endl;
      }
    }
    std::cout << totals_.SummaryLine() << std::endl;
    if (!flags_.json.empty()) {
      if (flags_.json == "-") {
        std::cout << totals_.Json() << std::endl;
      } else {
        std::ofstream(flags_.json) << totals_.Json() << "\n";
      }
    }
    if (totals_.violations > 0) {
      std::cout << "FAILED: replay with --seed=" << flags_.seed
                << "; data and evstored.log kept in " << flags_.root
                << std::endl;
      return 1;
    }
    if (flags_.temporary_root) {
      std::error_code ignored;
      std::filesystem::remove_all(flags_.root, ignored);
    }
    return 0;
  }

  const Flags& flags_;
  testing::EvstoredServer server_;
  std::mt19937_64 master_rng_;
  std::mt19937_64 verify_rng_;
  StreamRevisionHints hints_;
  std::vector<CustomerModel> models_;
  // Each customer's feed head at its last verification.
  std::vector<uint64_t> heads_;
  std::vector<std::unique_ptr<FeedSubscriber>> subscribers_;
  TortureTotals totals_;
  std::map<std::string, uint64_t> failures_by_kind_;
};

int Main(int argc, char* argv[]) {
  absl::SetProgramUsageMessage(
      "crash-consistency torture of evstored: concurrent appends and "
      "subscribers, kill -9, restart, verify");
  absl::ParseCommandLine(argc, argv);
  Flags flags;
  flags.cycles = absl::GetFlag(FLAGS_cycles);
  flags.seed = absl::GetFlag(FLAGS_seed);
  if (flags.seed == 0) flags.seed = std::random_device{}() | 1;
  flags.shape.customers = absl::GetFlag(FLAGS_customers);
  flags.shape.streams = absl::GetFlag(FLAGS_streams);
  flags.shape.expected_revision_percent =
      absl::GetFlag(FLAGS_expected_revision_percent);
  flags.shape.max_batch_events = absl::GetFlag(FLAGS_max_batch_events);
  flags.unary_producers = absl::GetFlag(FLAGS_unary_producers);
  flags.session_producers = absl::GetFlag(FLAGS_session_producers);
  flags.session_in_flight = absl::GetFlag(FLAGS_session_in_flight);
  flags.batch_producers = absl::GetFlag(FLAGS_batch_producers);
  flags.twin_percent = absl::GetFlag(FLAGS_twin_percent);
  flags.min_run_ms = absl::GetFlag(FLAGS_min_run_ms);
  flags.max_run_ms = absl::GetFlag(FLAGS_max_run_ms);
  flags.verify.retry_sample = absl::GetFlag(FLAGS_retry_sample);
  flags.verify.get_sample = absl::GetFlag(FLAGS_get_sample);
  flags.json = absl::GetFlag(FLAGS_json);
  flags.subscriber.min_reconnect_ms =
      absl::GetFlag(FLAGS_subscriber_min_reconnect_ms);
  flags.subscriber.max_reconnect_ms =
      absl::GetFlag(FLAGS_subscriber_max_reconnect_ms);
  if (!CheckFlags(flags)) return 2;
  flags.root = absl::GetFlag(FLAGS_data_dir);
  flags.temporary_root = flags.root.empty();
  std::error_code error;
  if (flags.temporary_root) {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "evstore-torture-XXXXXX")
            .string();
    if (mkdtemp(pattern.data()) == nullptr) {
      std::cerr << "evstore-torture: cannot create a temporary directory\n";
      return 2;
    }
    flags.root = pattern;
  } else {
    std::filesystem::create_directories(flags.root, error);
    if (std::filesystem::exists(flags.root + "/data")) {
      std::cerr << "evstore-torture: " << flags.root
                << "/data exists; the driver needs an empty store\n";
      return 2;
    }
  }
  std::cout << "evstore-torture: seed=" << flags.seed
            << " cycles=" << flags.cycles << " dir=" << flags.root << std::endl;
  return TortureRun(flags).Run();
}

}  // namespace
}  // namespace evstore::torture

int main(int argc, char* argv[]) { return evstore::torture::Main(argc, argv); }
