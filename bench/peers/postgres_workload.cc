// PostgreSQL workloads (see peer_workloads.h), over libpq.
#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "bench/event_factory.h"
#include "bench/peers/peer_workloads.h"
#include "bench/stamped_payload.h"

namespace evstore::bench {
namespace {

struct PgFinish {
  void operator()(PGconn* c) const { PQfinish(c); }
};
using PgConnection = std::unique_ptr<PGconn, PgFinish>;

struct PgClear {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, PgClear>;

std::string ConnectionInfo(const PeerOptions& peer) {
  // Notices ("relation already exists, skipping") would clutter the table.
  return absl::StrCat("host=", peer.host, " port=", peer.port,
                      " user=", peer.user, " dbname=", peer.database,
                      " connect_timeout=10",
                      " options='-c client_min_messages=warning'");
}

absl::StatusOr<PgConnection> Connect(const PeerOptions& peer) {
  PgConnection c(PQconnectdb(ConnectionInfo(peer).c_str()));
  if (c == nullptr) return absl::ResourceExhaustedError("PQconnectdb failed");
  if (PQstatus(c.get()) != CONNECTION_OK) {
    return absl::UnavailableError(
        absl::StrCat("postgres: ", PQerrorMessage(c.get())));
  }
  return c;
}

// OK when `result` is one of the `expected` statuses.
absl::Status ResultStatus(PGconn* c, const PGresult* result,
                          ExecStatusType expected) {
  if (result != nullptr && PQresultStatus(result) == expected) {
    return absl::OkStatus();
  }
  return absl::InternalError(absl::StrCat(
      "postgres: ",
      result != nullptr ? PQresultErrorMessage(result) : PQerrorMessage(c)));
}

absl::Status Exec(PGconn* c, const std::string& sql) {
  PgResult result(PQexec(c, sql.c_str()));
  const ExecStatusType status = PQresultStatus(result.get());
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
    return absl::OkStatus();
  }
  return ResultStatus(c, result.get(), PGRES_COMMAND_OK);
}

// The events table. The position is a global sequence: positions are
// ordered but neither per customer nor gap-free (a rolled-back insert skips
// one). That is the cheap variant: dense per-customer positions (what evstore
// gives) would need a per-customer counter row updated in every transaction,
// which serializes each customer's commits.
constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS events (
  position bigserial PRIMARY KEY,
  customer text NOT NULL,
  stream text NOT NULL,
  revision bigint NOT NULL,
  id uuid NOT NULL,
  type text NOT NULL,
  data json NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS events_stream_revision
  ON events (customer, stream, revision);
CREATE UNIQUE INDEX IF NOT EXISTS events_id ON events (id);
)sql";

constexpr char kRevisionConstraint[] = "events_stream_revision";

// One statement appending `rows` events to one stream at the stream's next
// revisions. Parameters: $1 customer, $2 stream, $3 type, then id and data
// of each event. With `notify`, it also notifies the customer's channel with
// each event's data (delivered at commit).
std::string AppendStatement(int rows, bool notify) {
  std::string values;
  for (int r = 0; r < rows; ++r) {
    absl::StrAppend(&values, r == 0 ? "" : ", ", "(", r + 1, ", $", 4 + 2 * r,
                    "::uuid, $", 5 + 2 * r, "::json)");
  }
  std::string insert = absl::StrCat(
      "INSERT INTO events (customer, stream, revision, id, type, data) "
      "SELECT $1, $2, head.revision + v.n, v.id, $3, v.data FROM head, "
      "(VALUES ",
      values, ") AS v(n, id, data)");
  const std::string head =
      "WITH head AS (SELECT coalesce(max(revision), 0) AS revision FROM "
      "events WHERE customer = $1 AND stream = $2)";
  if (!notify) return absl::StrCat(head, " ", insert);
  return absl::StrCat(head, ", inserted AS (", insert,
                      " RETURNING data) SELECT pg_notify($1, data::text) "
                      "FROM inserted");
}

// Whether and how an append notifies the customer's channel.
enum class Notify { kNone, kInTransaction, kAfterCommit };

// A producer's connection with the append statement prepared.
class Appender {
 public:
  static absl::StatusOr<Appender> Open(const PeerOptions& peer, int rows,
                                       Notify notify) {
    absl::StatusOr<PgConnection> c = Connect(peer);
    if (!c.ok()) return c.status();
    PgResult prepared(PQprepare(
        c->get(), "append",
        AppendStatement(rows, notify == Notify::kInTransaction).c_str(),
        3 + 2 * rows, nullptr));
    if (absl::Status s =
            ResultStatus(c->get(), prepared.get(), PGRES_COMMAND_OK);
        !s.ok()) {
      return s;
    }
    PgResult notify_prepared(
        PQprepare(c->get(), "notify",
                  "SELECT set_config('synchronous_commit', 'off', true), "
                  "pg_notify($1, $2)",
                  2, nullptr));
    if (absl::Status s =
            ResultStatus(c->get(), notify_prepared.get(), PGRES_COMMAND_OK);
        !s.ok()) {
      return s;
    }
    return Appender(*std::move(c), notify);
  }

  // Appends the events (ids[i], data[i]) to the stream; retries when another
  // producer took the same revisions first. `retries` counts those.
  absl::Status Append(const std::string& customer, const std::string& stream,
                      const std::string& type,
                      const std::vector<std::string>& ids,
                      const std::vector<const std::string*>& data,
                      std::uint64_t& retries) {
    std::vector<const char*> params = {customer.c_str(), stream.c_str(),
                                       type.c_str()};
    for (std::size_t i = 0; i < ids.size(); ++i) {
      params.push_back(ids[i].c_str());
      params.push_back(data[i]->c_str());
    }
    for (int attempt = 0;; ++attempt) {
      PgResult result(PQexecPrepared(connection_.get(), "append",
                                     static_cast<int>(params.size()),
                                     params.data(), nullptr, nullptr, 0));
      const ExecStatusType want = notify_ == Notify::kInTransaction
                                      ? PGRES_TUPLES_OK
                                      : PGRES_COMMAND_OK;
      if (PQresultStatus(result.get()) == want) {
        return notify_ == Notify::kAfterCommit ? NotifyEach(customer, data)
                                               : absl::OkStatus();
      }
      const char* constraint =
          PQresultErrorField(result.get(), PG_DIAG_CONSTRAINT_NAME);
      if (attempt < 100 && constraint != nullptr &&
          std::strcmp(constraint, kRevisionConstraint) == 0) {
        ++retries;
        continue;
      }
      return ResultStatus(connection_.get(), result.get(), want);
    }
  }

 private:
  Appender(PgConnection connection, Notify notify)
      : connection_(std::move(connection)), notify_(notify) {}

  // One autocommit pg_notify per event. NOTIFY assigns the transaction an
  // id, so its commit writes WAL: with synchronous_commit off for just that
  // transaction it does not wait for the flush while holding the notify
  // lock. The notification is not durable either way.
  absl::Status NotifyEach(const std::string& customer,
                          const std::vector<const std::string*>& data) {
    for (const std::string* payload : data) {
      const char* params[] = {customer.c_str(), payload->c_str()};
      PgResult result(PQexecPrepared(connection_.get(), "notify", 2, params,
                                     nullptr, nullptr, 0));
      if (absl::Status s =
              ResultStatus(connection_.get(), result.get(), PGRES_TUPLES_OK);
          !s.ok()) {
        return s;
      }
    }
    return absl::OkStatus();
  }

  PgConnection connection_;
  Notify notify_;
};

absl::Status CreateSchema(const PeerOptions& peer) {
  absl::StatusOr<PgConnection> c = Connect(peer);
  if (!c.ok()) return c.status();
  return Exec(c->get(), kSchema);
}

absl::StatusOr<RunResult> RunClosedLoopWorkload(const RunConfig& config,
                                                const PeerOptions& peer,
                                                const DriverOptions& driver) {
  const WorkloadShape shape{.event_bytes = config.event_bytes,
                            .events_per_append = config.batch,
                            .customers = config.customers,
                            .streams = config.streams};
  std::vector<Appender> appenders;
  std::vector<EventFactory> factories;
  std::random_device entropy;
  for (int p = 0; p < driver.producers; ++p) {
    absl::StatusOr<Appender> appender =
        Appender::Open(peer, config.batch, Notify::kNone);
    if (!appender.ok()) return appender.status();
    appenders.push_back(*std::move(appender));
    factories.emplace_back(
        shape, p, (static_cast<std::uint64_t>(entropy()) << 32) ^ entropy());
  }
  std::vector<std::uint64_t> retries(appenders.size(), 0);
  RunResult result =
      RunClosedLoop(driver, [&](int p) -> absl::StatusOr<AppendOutcome> {
        const auto index = static_cast<std::size_t>(p);
        const v1::AppendRequest request = factories[index].Next();
        const v1::StreamWrite& write = request.writes(0);
        std::vector<std::string> ids;
        std::vector<const std::string*> data;
        AppendOutcome outcome;
        for (const v1::ProposedEvent& event : write.events()) {
          ids.push_back(event.id());
          data.push_back(&event.data());
          ++outcome.events;
          outcome.bytes += event.data().size();
        }
        absl::Status appended = appenders[index].Append(
            request.customer(), write.stream(), write.events(0).type(), ids,
            data, retries[index]);
        if (!appended.ok()) return appended;
        return outcome;
      });
  return result;
}

// One LISTEN connection and its deliveries.
struct PgSubscriber {
  PgConnection connection;
  std::unique_ptr<DeliveryLog> log;
};

// Serves `subscribers` (non-blocking, with poll) until `stop`.
void PollSubscribers(std::vector<PgSubscriber*> subscribers,
                     const std::atomic<bool>& stop,
                     std::atomic<std::uint64_t>& failures) {
  std::vector<pollfd> fds;
  fds.reserve(subscribers.size());
  for (PgSubscriber* s : subscribers) {
    fds.push_back({PQsocket(s->connection.get()), POLLIN, 0});
  }
  while (!stop.load(std::memory_order_relaxed)) {
    if (poll(fds.data(), fds.size(), 100) <= 0) continue;
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if ((fds[i].revents & (POLLIN | POLLERR | POLLHUP)) == 0) continue;
      PgSubscriber& s = *subscribers[i];
      if (PQconsumeInput(s.connection.get()) == 0) {
        failures.fetch_add(1);
        fds[i].fd = -1;
        continue;
      }
      while (PGnotify* notify = PQnotifies(s.connection.get())) {
        if (std::optional<std::int64_t> sent = ParseSentNs(notify->extra)) {
          s.log->Record(*sent);
        } else {
          s.log->RecordUnstamped();
        }
        PQfreemem(notify);
      }
    }
  }
}

absl::StatusOr<RunResult> RunLatencyWorkload(const RunConfig& config,
                                             const PeerOptions& peer,
                                             const DriverOptions& driver) {
  RunWindow window;
  std::vector<PgSubscriber> subscribers(
      static_cast<std::size_t>(config.subscribers));
  std::vector<DeliveryLog*> logs;
  for (int s = 0; s < config.subscribers; ++s) {
    PgSubscriber& subscriber = subscribers[static_cast<std::size_t>(s)];
    absl::StatusOr<PgConnection> c = Connect(peer);
    if (!c.ok()) return c.status();
    subscriber.connection = *std::move(c);
    const std::string customer =
        EventFactory::CustomerName(CustomerOfSubscriber(s, config.customers));
    char* channel = PQescapeIdentifier(subscriber.connection.get(),
                                       customer.c_str(), customer.size());
    if (channel == nullptr) return absl::InternalError("PQescapeIdentifier");
    const std::string listen = absl::StrCat("LISTEN ", channel);
    PQfreemem(channel);
    // LISTEN is registered when it returns: no event can be missed.
    if (absl::Status s2 = Exec(subscriber.connection.get(), listen); !s2.ok()) {
      return s2;
    }
    if (PQsetnonblocking(subscriber.connection.get(), 1) != 0) {
      return absl::InternalError("PQsetnonblocking failed");
    }
    subscriber.log = std::make_unique<DeliveryLog>(&window);
    logs.push_back(subscriber.log.get());
  }
  std::vector<Appender> appenders;
  std::vector<Random> randoms;
  std::vector<std::string> payloads;
  std::random_device entropy;
  for (int p = 0; p < driver.producers; ++p) {
    absl::StatusOr<Appender> appender =
        Appender::Open(peer, 1,
                       peer.pg_notify_after_commit ? Notify::kAfterCommit
                                                   : Notify::kInTransaction);
    if (!appender.ok()) return appender.status();
    appenders.push_back(*std::move(appender));
    randoms.emplace_back((static_cast<std::uint64_t>(entropy()) << 32) ^
                         entropy());
    payloads.push_back(StampedPayload(config.event_bytes, 68 + p, 0));
  }

  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> failures{0};
  const int thread_count = std::max(1, peer.subscriber_threads);
  std::vector<std::thread> pollers;
  for (int t = 0; t < thread_count; ++t) {
    std::vector<PgSubscriber*> mine;
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
  std::vector<std::uint64_t> retries(appenders.size(), 0);
  RunResult result = RunFixedRate(
      options, window, logs, [&](int p, int customer) -> absl::Status {
        const auto index = static_cast<std::size_t>(p);
        Random& random = randoms[index];
        const std::string stream = EventFactory::StreamName(static_cast<int>(
            random.Below(static_cast<std::uint64_t>(config.streams))));
        Restamp(payloads[index], MonotonicNowNs());
        return appenders[index].Append(EventFactory::CustomerName(customer),
                                       stream, type, {RandomUuid(random)},
                                       {&payloads[index]}, retries[index]);
      });
  stop.store(true);
  for (std::thread& poller : pollers) poller.join();
  if (failures.load() > 0) {
    ++result.errors;
    if (result.first_error.empty()) {
      result.first_error =
          absl::StrCat(failures.load(), " subscriber connection failures");
    }
  }
  return result;
}

}  // namespace

absl::StatusOr<RunResult> RunPostgresWorkload(const RunConfig& config,
                                              const PeerOptions& peer,
                                              const DriverOptions& driver) {
  if (absl::Status schema = CreateSchema(peer); !schema.ok()) return schema;
  if (config.workload == "latency") {
    return RunLatencyWorkload(config, peer, driver);
  }
  return RunClosedLoopWorkload(config, peer, driver);
}

}  // namespace evstore::bench
