// The torture producers. Each runs on its own thread until `stop` is set or
// the server goes away (a transport failure), and records the outcome of
// every append it sent in the OutcomeLog, including the ones that were in
// flight when the server was killed.
#ifndef EVSTORE_TESTS_TORTURE_PRODUCERS_H_
#define EVSTORE_TESTS_TORTURE_PRODUCERS_H_

#include <atomic>

#include "client/evstore_client.h"
#include "tests/torture/request_factory.h"
#include "tests/torture/sent_append.h"

namespace evstore::torture {

struct ProducerContext {
  const client::Client* client = nullptr;
  const std::atomic<bool>* stop = nullptr;
  OutcomeLog* log = nullptr;
  StreamRevisionHints* hints = nullptr;
  int cycle = 0;
  // Percent of session appends sent twice at once (see SentAppend::twin_key).
  int twin_percent = 0;
};

// Single-event appends over unary Append, one at a time.
void RunUnarySingleProducer(const ProducerContext& context,
                            RequestFactory& factory);

// Batched appends (several streams in one append) over unary Append.
void RunUnaryBatchProducer(const ProducerContext& context,
                           RequestFactory& factory);

// Single-event appends over one AppendSession with up to `max_in_flight`
// unanswered; `context.twin_percent` of them are sent twice back to back.
// Returns once every sent append has its outcome.
void RunSessionProducer(const ProducerContext& context, RequestFactory& factory,
                        int max_in_flight);

}  // namespace evstore::torture

#endif  // EVSTORE_TESTS_TORTURE_PRODUCERS_H_
