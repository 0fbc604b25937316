// Redis Streams workloads (see peer_workloads.h), over hiredis.
#include <hiredis/hiredis.h>
#include <poll.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/event_factory.h"
#include "bench/peers/peer_workloads.h"
#include "bench/stamped_payload.h"

namespace evstore::bench {
namespace {

struct RedisFree {
  void operator()(redisContext* c) const { redisFree(c); }
};
using RedisConnection = std::unique_ptr<redisContext, RedisFree>;

struct ReplyFree {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyFree>;

absl::StatusOr<RedisConnection> Connect(const PeerOptions& peer) {
  const timeval timeout{10, 0};
  RedisConnection c(
      redisConnectWithTimeout(peer.host.c_str(), peer.port, timeout));
  if (c == nullptr) return absl::ResourceExhaustedError("redisConnect failed");
  if (c->err != 0) {
    return absl::UnavailableError(
        absl::StrCat("redis at ", peer.host, ":", peer.port, ": ", c->errstr));
  }
  // Replies to appends must come within a minute.
  const timeval reply_timeout{60, 0};
  redisSetTimeout(c.get(), reply_timeout);
  return c;
}

// The status of one reply (nullptr: the connection's error).
absl::Status ReplyStatus(redisContext* c, const redisReply* reply) {
  if (reply == nullptr) {
    return absl::UnavailableError(absl::StrCat("redis: ", c->errstr));
  }
  if (reply->type == REDIS_REPLY_ERROR) {
    return absl::InternalError(absl::StrCat("redis: ", reply->str));
  }
  return absl::OkStatus();
}

// A customer's feed key; `run` keeps runs on one server apart.
std::string FeedKey(const std::string& run, int customer) {
  return absl::StrCat("evstore-bench:", run,
                      ":feed:", EventFactory::CustomerName(customer));
}

std::string RunNonce() {
  std::random_device entropy;
  return absl::StrFormat("%08x%08x", entropy(), entropy());
}

// Queues an XADD of one event on `c` (sent with the next read or flush).
void AppendXadd(redisContext* c, const std::string& key,
                const std::string& event_id, const std::string& stream,
                const std::string& type, const std::string& data) {
  const char* argv[] = {"XADD",         key.c_str(),      "*",
                        "id",           event_id.c_str(), "stream",
                        stream.c_str(), "type",           type.c_str(),
                        "data",         data.data()};
  const std::size_t lengths[] = {
      4, key.size(),  1, 2,          event_id.size(), 6, stream.size(),
      4, type.size(), 4, data.size()};
  redisAppendCommandArgv(c, 11, argv, lengths);
}

// Reads the replies to `count` queued commands; fails on the first error.
absl::Status AwaitReplies(redisContext* c, int count) {
  absl::Status first = absl::OkStatus();
  for (int i = 0; i < count; ++i) {
    void* raw = nullptr;
    if (redisGetReply(c, &raw) != REDIS_OK) return ReplyStatus(c, nullptr);
    Reply reply(static_cast<redisReply*>(raw));
    if (first.ok()) first = ReplyStatus(c, reply.get());
  }
  return first;
}

absl::StatusOr<RunResult> RunClosedLoopWorkload(const RunConfig& config,
                                                const PeerOptions& peer,
                                                const DriverOptions& driver) {
  const std::string run = RunNonce();
  const WorkloadShape shape{.event_bytes = config.event_bytes,
                            .events_per_append = config.batch,
                            .customers = config.customers,
                            .streams = config.streams};
  std::vector<RedisConnection> connections;
  std::vector<EventFactory> factories;
  std::random_device entropy;
  for (int p = 0; p < driver.producers; ++p) {
    absl::StatusOr<RedisConnection> c = Connect(peer);
    if (!c.ok()) return c.status();
    connections.push_back(*std::move(c));
    factories.emplace_back(
        shape, p, (static_cast<std::uint64_t>(entropy()) << 32) ^ entropy());
  }
  std::vector<std::string> keys;
  keys.reserve(static_cast<std::size_t>(config.customers));
  for (int c = 0; c < config.customers; ++c) keys.push_back(FeedKey(run, c));
  auto customer_index = [&config](const std::string& name) {
    for (int c = 0; c < config.customers; ++c) {
      if (EventFactory::CustomerName(c) == name) return c;
    }
    return 0;
  };
  return RunClosedLoop(driver, [&](int p) -> absl::StatusOr<AppendOutcome> {
    redisContext* c = connections[static_cast<std::size_t>(p)].get();
    const v1::AppendRequest request =
        factories[static_cast<std::size_t>(p)].Next();
    const std::string& key =
        keys[static_cast<std::size_t>(customer_index(request.customer()))];
    const v1::StreamWrite& write = request.writes(0);
    AppendOutcome outcome;
    for (const v1::ProposedEvent& event : write.events()) {
      AppendXadd(c, key, event.id(), write.stream(), event.type(),
                 event.data());
      ++outcome.events;
      outcome.bytes += event.data().size();
    }
    absl::Status replies = AwaitReplies(c, outcome.events);
    if (!replies.ok()) return replies;
    return outcome;
  });
}

// One subscriber: its connection, its key and how far it has read.
struct RedisSubscriber {
  RedisConnection connection;
  std::string key;
  std::string last_id = "0-0";  // Keys are new: read them from the start.
  std::unique_ptr<DeliveryLog> log;
};

void SendXread(RedisSubscriber& s) {
  const char* argv[] = {"XREAD", "COUNT",   "1000",        "BLOCK",
                        "0",     "STREAMS", s.key.c_str(), s.last_id.c_str()};
  const std::size_t lengths[] = {
      5, 5, 4, 5, 1, 7, s.key.size(), s.last_id.size()};
  redisAppendCommandArgv(s.connection.get(), 8, argv, lengths);
  int done = 0;
  while (done == 0) {
    if (redisBufferWrite(s.connection.get(), &done) != REDIS_OK) return;
  }
}

// Records the entries of one XREAD reply: [[key, [[id, [field,
// value...]]...]]].
absl::Status RecordXreadReply(RedisSubscriber& s, const redisReply* reply) {
  if (reply->type != REDIS_REPLY_ARRAY) {
    return absl::InternalError("XREAD: unexpected reply");
  }
  for (std::size_t k = 0; k < reply->elements; ++k) {
    const redisReply* stream = reply->element[k];
    if (stream->elements != 2) return absl::InternalError("XREAD: bad stream");
    const redisReply* entries = stream->element[1];
    for (std::size_t e = 0; e < entries->elements; ++e) {
      const redisReply* entry = entries->element[e];
      s.last_id.assign(entry->element[0]->str, entry->element[0]->len);
      const redisReply* fields = entry->element[1];
      bool stamped = false;
      for (std::size_t f = 0; f + 1 < fields->elements; f += 2) {
        if (std::string_view(fields->element[f]->str,
                             fields->element[f]->len) != "data") {
          continue;
        }
        if (std::optional<std::int64_t> sent = ParseSentNs(std::string_view(
                fields->element[f + 1]->str, fields->element[f + 1]->len))) {
          s.log->Record(*sent);
          stamped = true;
        }
      }
      if (!stamped) s.log->RecordUnstamped();
    }
  }
  return absl::OkStatus();
}

// Serves `subscribers` (non-blocking, with poll) until `stop`.
void PollSubscribers(std::vector<RedisSubscriber*> subscribers,
                     const std::atomic<bool>& stop,
                     std::atomic<std::uint64_t>& failures) {
  std::vector<pollfd> fds;
  for (RedisSubscriber* s : subscribers) {
    fds.push_back({s->connection->fd, POLLIN, 0});
    SendXread(*s);
  }
  while (!stop.load(std::memory_order_relaxed)) {
    if (poll(fds.data(), fds.size(), 100) <= 0) continue;
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if ((fds[i].revents & (POLLIN | POLLERR | POLLHUP)) == 0) continue;
      RedisSubscriber& s = *subscribers[i];
      redisContext* c = s.connection.get();
      if (redisBufferRead(c) != REDIS_OK) {
        failures.fetch_add(1);
        fds[i].fd = -1;  // poll() ignores it from now on.
        continue;
      }
      void* raw = nullptr;
      while (redisReaderGetReply(c->reader, &raw) == REDIS_OK &&
             raw != nullptr) {
        Reply reply(static_cast<redisReply*>(raw));
        raw = nullptr;
        if (!RecordXreadReply(s, reply.get()).ok()) failures.fetch_add(1);
        SendXread(s);
      }
    }
  }
}

absl::StatusOr<RunResult> RunLatencyWorkload(const RunConfig& config,
                                             const PeerOptions& peer,
                                             const DriverOptions& driver) {
  const std::string run = RunNonce();
  RunWindow window;
  std::vector<RedisSubscriber> subscribers(
      static_cast<std::size_t>(config.subscribers));
  std::vector<DeliveryLog*> logs;
  for (int s = 0; s < config.subscribers; ++s) {
    RedisSubscriber& subscriber = subscribers[static_cast<std::size_t>(s)];
    absl::StatusOr<RedisConnection> c = Connect(peer);
    if (!c.ok()) return c.status();
    subscriber.connection = *std::move(c);
    subscriber.key = FeedKey(run, CustomerOfSubscriber(s, config.customers));
    subscriber.log = std::make_unique<DeliveryLog>(&window);
    logs.push_back(subscriber.log.get());
  }
  std::vector<RedisConnection> producers;
  std::vector<Random> randoms;
  std::vector<std::string> payloads;
  std::random_device entropy;
  for (int p = 0; p < driver.producers; ++p) {
    absl::StatusOr<RedisConnection> c = Connect(peer);
    if (!c.ok()) return c.status();
    producers.push_back(*std::move(c));
    randoms.emplace_back((static_cast<std::uint64_t>(entropy()) << 32) ^
                         entropy());
    payloads.push_back(StampedPayload(config.event_bytes, 68 + p, 0));
  }

  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> failures{0};
  const int thread_count = std::max(1, peer.subscriber_threads);
  std::vector<std::thread> pollers;
  for (int t = 0; t < thread_count; ++t) {
    std::vector<RedisSubscriber*> mine;
    for (std::size_t s = static_cast<std::size_t>(t); s < subscribers.size();
         s += static_cast<std::size_t>(thread_count)) {
      mine.push_back(&subscribers[s]);
    }
    pollers.emplace_back(PollSubscribers, std::move(mine), std::cref(stop),
                         std::ref(failures));
  }

  FixedRateOptions options;
  options.driver = driver;
  options.rate = config.rate;
  options.event_bytes = config.event_bytes;
  options.subscribers_per_customer =
      SubscribersPerCustomer(config.subscribers, config.customers);
  const std::string type = "NominationResponseReceived";
  RunResult result = RunFixedRate(
      options, window, logs, [&](int p, int customer) -> absl::Status {
        const auto index = static_cast<std::size_t>(p);
        redisContext* c = producers[index].get();
        Random& random = randoms[index];
        const std::string stream = EventFactory::StreamName(static_cast<int>(
            random.Below(static_cast<std::uint64_t>(config.streams))));
        Restamp(payloads[index], MonotonicNowNs());
        AppendXadd(c, FeedKey(run, customer), RandomUuid(random), stream, type,
                   payloads[index]);
        return AwaitReplies(c, 1);
      });
  stop.store(true);
  for (std::thread& poller : pollers) poller.join();
  if (failures.load() > 0) {
    ++result.errors;
    if (result.first_error.empty()) {
      result.first_error =
          absl::StrCat(failures.load(), " subscriber read failures");
    }
  }
  return result;
}

}  // namespace

absl::StatusOr<RunResult> RunRedisWorkload(const RunConfig& config,
                                           const PeerOptions& peer,
                                           const DriverOptions& driver) {
  if (config.workload == "latency") {
    return RunLatencyWorkload(config, peer, driver);
  }
  return RunClosedLoopWorkload(config, peer, driver);
}

}  // namespace evstore::bench
