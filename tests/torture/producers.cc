#include "tests/torture/producers.h"

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <random>
#include <utility>

namespace evstore::torture {
namespace {

// Records the outcome; returns false when the producer should stop because
// the server is gone.
bool Record(const ProducerContext& context, SentAppend sent,
            absl::StatusOr<v1::AppendResponse> result) {
  AppendOutcome outcome;
  outcome.sent = std::move(sent);
  bool keep_going = true;
  if (result.ok()) {
    outcome.kind = OutcomeKind::kAcked;
    outcome.response = *std::move(result);
    context.hints->Note(outcome.sent.customer, outcome.response);
  } else {
    outcome.kind = ClassifyFailure(result.status());
    outcome.error = result.status();
    keep_going = !IsTransportFailure(result.status());
  }
  context.log->Add(std::move(outcome));
  return keep_going;
}

void RunUnaryProducer(const ProducerContext& context, RequestFactory& factory,
                      bool batched) {
  while (!context.stop->load()) {
    SentAppend sent = batched ? factory.Batch(context.cycle)
                              : factory.SingleEvent(AppendChannel::kUnarySingle,
                                                    context.cycle);
    absl::StatusOr<v1::AppendResponse> result =
        context.client->Append(sent.request);
    if (!Record(context, std::move(sent), std::move(result))) return;
  }
}

}  // namespace

void RunUnarySingleProducer(const ProducerContext& context,
                            RequestFactory& factory) {
  RunUnaryProducer(context, factory, /*batched=*/false);
}

void RunUnaryBatchProducer(const ProducerContext& context,
                           RequestFactory& factory) {
  RunUnaryProducer(context, factory, /*batched=*/true);
}

void RunSessionProducer(const ProducerContext& context, RequestFactory& factory,
                        int max_in_flight) {
  std::unique_ptr<client::AppendSession> session =
      context.client->OpenAppendSession();
  std::mutex mu;
  std::condition_variable changed;
  int in_flight = 0;    // guarded by mu
  bool broken = false;  // guarded by mu
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu);
      // Waits in short steps so that `stop` is noticed.
      while (in_flight >= max_in_flight && !broken && !context.stop->load()) {
        changed.wait_for(lock, std::chrono::milliseconds(50));
      }
      if (broken || context.stop->load()) break;
    }
    SentAppend sent =
        factory.SingleEvent(AppendChannel::kSessionSingle, context.cycle);
    // Sometimes the same append twice at once, as a client that retries
    // while its first attempt is still in flight.
    const bool twins = std::uniform_int_distribution<int>(
                           0, 99)(factory.rng()) < context.twin_percent;
    if (twins) sent.twin_key = sent.request.writes(0).events(0).id();
    const int copies = twins ? 2 : 1;
    {
      std::lock_guard<std::mutex> lock(mu);
      in_flight += copies;
    }
    for (int copy = 0; copy < copies; ++copy) {
      v1::AppendRequest request = sent.request;
      // The callback may run on this thread (no lock is held here) or on a
      // gRPC thread.
      session->AppendAsync(
          std::move(request),
          [&, sent](absl::StatusOr<v1::AppendResponse> result) {
            const bool keep_going = Record(context, sent, std::move(result));
            std::lock_guard<std::mutex> lock(mu);
            --in_flight;
            if (!keep_going) broken = true;
            changed.notify_all();
          });
    }
  }
  // Every append gets its outcome: a reply, or the stream's status once the
  // killed server's connection is gone.
  std::unique_lock<std::mutex> lock(mu);
  changed.wait(lock, [&] { return in_flight == 0; });
}

}  // namespace evstore::torture
