// warehouse_loader: a complete evstore consumer. It follows one customer's
// feed (or one partition of it) from the server-side checkpoint
// "warehouse-loader", "loads" every event into a warehouse (here: prints a
// line per event), and lets the SDK commit the checkpoint every 100 events or
// every second. Restart it at any time, kill it, or restart the server under
// it: it continues after the last committed position; across server restarts
// it sees every event exactly once, across its own crashes at most the
// events since the last commit again (make loading idempotent, e.g. keyed by
// event id).
//
// Usage:
//   warehouse_loader --address HOST:PORT --customer ID --token TOKEN
//       [--partition I/N] [--checkpoint NAME] [--max-events N]
//       [--until-caught-up]
// The token must be the customer's consumer token (or an admin token).
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "client/evstore_client.h"
#include "client/resuming_subscription.h"

namespace {

volatile std::sig_atomic_t stop_requested = 0;

void RequestStop(int) { stop_requested = 1; }

struct LoaderFlags {
  std::string address = "127.0.0.1:50051";
  std::string customer;
  std::string token;
  std::string checkpoint = "warehouse-loader";
  std::string partition;         // "I/N" or empty.
  std::uint64_t max_events = 0;  // 0: run until SIGINT/SIGTERM.
  bool until_caught_up = false;  // Stop once all recorded events are loaded.
};

bool ParseFlags(int argc, char** argv, LoaderFlags& flags) {
  for (int i = 1; i < argc; i += 2) {
    const std::string name = argv[i];
    if (name == "--until-caught-up") {
      flags.until_caught_up = true;
      --i;  // Takes no value.
      continue;
    }
    if (i + 1 >= argc) return false;
    const std::string value = argv[i + 1];
    if (name == "--address") {
      flags.address = value;
    } else if (name == "--customer") {
      flags.customer = value;
    } else if (name == "--token") {
      flags.token = value;
    } else if (name == "--checkpoint") {
      flags.checkpoint = value;
    } else if (name == "--partition") {
      flags.partition = value;
    } else if (name == "--max-events") {
      if (!absl::SimpleAtoi(value, &flags.max_events)) return false;
    } else {
      return false;
    }
  }
  return !flags.customer.empty();
}

// "I/N" as a Partition.
bool ParsePartition(const std::string& text, evstore::v1::Partition& out) {
  const std::vector<std::string> parts = absl::StrSplit(text, '/');
  uint32_t index = 0;
  uint32_t count = 0;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &index) ||
      !absl::SimpleAtoi(parts[1], &count) || index >= count) {
    return false;
  }
  out.set_index(index);
  out.set_count(count);
  return true;
}

// The application's work for one event. It must be complete when it
// returns: the next Next() marks the event as processed.
void LoadIntoWarehouse(const evstore::v1::RecordedEvent& event) {
  std::printf("loaded position=%llu stream=%s type=%s id=%s\n",
              static_cast<unsigned long long>(event.position()),
              event.stream().c_str(), event.type().c_str(), event.id().c_str());
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  LoaderFlags flags;
  if (!ParseFlags(argc, argv, flags)) {
    std::fprintf(stderr,
                 "usage: %s --address HOST:PORT --customer ID --token TOKEN "
                 "[--partition I/N] [--checkpoint NAME] [--max-events N] "
                 "[--until-caught-up]\n",
                 argv[0]);
    return 2;
  }
  std::signal(SIGINT, RequestStop);
  std::signal(SIGTERM, RequestStop);

  evstore::client::ClientOptions client_options{.address = flags.address,
                                                .token = flags.token};
  // Checkpoint commits ride out a server restart.
  client_options.retry = evstore::client::RetryPolicy::Standard();
  absl::StatusOr<std::unique_ptr<evstore::client::Client>> client =
      evstore::client::Client::Connect(client_options);
  if (!client.ok()) {
    std::fprintf(stderr, "connect: %s\n", client.status().ToString().c_str());
    return 1;
  }

  evstore::client::ResumingSubscriptionOptions options;
  options.customer = flags.customer;
  options.checkpoint = flags.checkpoint;
  // Resume after the checkpoint; the very first run starts at the beginning.
  options.start = evstore::client::SubscriptionStart::FromCheckpoint(
      evstore::v1::SUBSCRIBE_START_BEGINNING);
  if (!flags.partition.empty()) {
    evstore::v1::Partition partition;
    if (!ParsePartition(flags.partition, partition)) {
      std::fprintf(stderr, "--partition: '%s' is not I/N\n",
                   flags.partition.c_str());
      return 2;
    }
    options.partition = partition;
  }
  options.auto_commit = {
      .enabled = true, .every_events = 100, .every = absl::Seconds(1)};
  std::unique_ptr<evstore::client::ResumingSubscription> subscription =
      (*client)->SubscribeResuming(options);

  std::uint64_t loaded = 0;
  while (stop_requested == 0 &&
         (flags.max_events == 0 || loaded < flags.max_events)) {
    absl::StatusOr<evstore::client::SubscriptionItem> item =
        subscription->Next(absl::Milliseconds(500));
    if (!item.ok()) {
      if (absl::IsDeadlineExceeded(item.status())) continue;  // Idle.
      std::fprintf(stderr, "subscription failed: %s\n",
                   item.status().ToString().c_str());
      return 1;  // A permanent error: permission, customer gone, ...
    }
    switch (item->kind) {
      case evstore::client::SubscriptionItem::Kind::kEvent:
        LoadIntoWarehouse(item->event);
        ++loaded;
        break;
      case evstore::client::SubscriptionItem::Kind::kCaughtUp:
        std::fprintf(stderr, "caught up at position %llu\n",
                     static_cast<unsigned long long>(item->position));
        if (flags.until_caught_up) stop_requested = 1;
        break;
      case evstore::client::SubscriptionItem::Kind::kHeartbeat:
        break;  // Idle; the checkpoint may move on (see the header).
    }
  }
  // A clean stop: the last event counts as processed and is committed.
  const absl::Status closed = subscription->Close();
  std::fprintf(
      stderr, "stopped after %llu events; checkpoint at %llu (%s)\n",
      static_cast<unsigned long long>(loaded),
      static_cast<unsigned long long>(subscription->committed_position()),
      closed.ToString().c_str());
  return closed.ok() ? 0 : 1;
}
