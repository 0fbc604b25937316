#include "server/in_flight_calls.h"

#include <cstring>

#include "absl/time/clock.h"

namespace evstore::server {

// Lives exactly as long as its call: gRPC creates it when the call starts
// and destroys it with the call's context.
class InFlightCalls::Interceptor final
    : public grpc::experimental::Interceptor {
 public:
  explicit Interceptor(std::atomic<int64_t>* count) : count_(count) {
    count_->fetch_add(1, std::memory_order_acq_rel);
  }
  ~Interceptor() override { count_->fetch_sub(1, std::memory_order_acq_rel); }
  Interceptor(const Interceptor&) = delete;
  Interceptor& operator=(const Interceptor&) = delete;

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    methods->Proceed();
  }

 private:
  std::atomic<int64_t>* const count_;
};

class InFlightCalls::Factory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  Factory(std::atomic<int64_t>* ours, std::atomic<int64_t>* others)
      : ours_(ours), others_(others) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    const char* method = info->method();
    const bool ours =
        method != nullptr &&
        std::strncmp(method, kCountedPrefix, sizeof(kCountedPrefix) - 1) == 0;
    return new Interceptor(ours ? ours_ : others_);
  }

 private:
  std::atomic<int64_t>* const ours_;
  std::atomic<int64_t>* const others_;
};

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
InFlightCalls::MakeInterceptorFactory() {
  return std::make_unique<Factory>(&ours_, &others_);
}

bool InFlightCalls::WaitUntilIdle(absl::Time deadline) const {
  while (ours() > 0) {
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

}  // namespace evstore::server
