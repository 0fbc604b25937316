// CeilingBidiStream: one CeilingService.Bidi call of evstore-grpc-ceiling,
// carrying many requests in flight, built on gRPC's callback API the way
// client/append_session.cc is (one read always in flight, one write in
// flight and the rest queued, a hold for writes started outside reactions).
//
// The server answers every request of a stream in order, so replies are
// matched to requests first in, first out; a reply whose correlation id is
// not its request's fails that request (INTERNAL). When the stream ends
// before a reply arrives, the request fails with the stream's status
// (UNAVAILABLE if the server ended it cleanly).
#ifndef EVSTORE_BENCH_CEILING_BIDI_STREAM_H_
#define EVSTORE_BENCH_CEILING_BIDI_STREAM_H_

#include <grpcpp/channel.h>

#include <functional>
#include <future>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bench/proto/ceiling.pb.h"

namespace evstore::bench {

class CeilingBidiReactor;  // Defined in ceiling_bidi_stream.cc.

// Thread-safety: Send(), SendAsync() and Close() may be called from any
// number of threads at once.
class CeilingBidiStream {
 public:
  // Receives the outcome of one request, exactly once: on the calling thread
  // when the stream refuses the request at once, else on a gRPC thread. It
  // must not block or call Close(); it may send again.
  using Callback =
      std::function<void(absl::StatusOr<v1::CeilingResponse> outcome)>;

  // Opens the call on `channel`; a server that cannot be reached shows up as
  // failed requests.
  explicit CeilingBidiStream(std::shared_ptr<grpc::Channel> channel);

  // Cancels the call if it is still open and waits until gRPC released it.
  ~CeilingBidiStream();

  CeilingBidiStream(const CeilingBidiStream&) = delete;
  CeilingBidiStream& operator=(const CeilingBidiStream&) = delete;

  // Sends `request` and calls `done` with its reply (see the file comment).
  // After Close(), `done` gets FAILED_PRECONDITION at once.
  void SendAsync(v1::CeilingRequest request, Callback done);

  // Like SendAsync(), returning the outcome as a future.
  [[nodiscard]] std::future<absl::StatusOr<v1::CeilingResponse>> Send(
      v1::CeilingRequest request);

  // Half-closes the call once the accepted requests are written and waits
  // until the server ended it: OK when it ended cleanly, else its status.
  // After `timeout`, cancels the call and returns DEADLINE_EXCEEDED.
  absl::Status Close(absl::Duration timeout);

 private:
  std::unique_ptr<CeilingBidiReactor> reactor_;
};

}  // namespace evstore::bench

#endif  // EVSTORE_BENCH_CEILING_BIDI_STREAM_H_
