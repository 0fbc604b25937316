// Disk faults: a failed fsync is never acknowledged and stops appends
// (fail-stop, reported by grpc.health.v1 and the log); a full disk refuses
// appends with RESOURCE_EXHAUSTED while reads and subscriptions go on, and
// appends resume by themselves once space is freed. Nothing acknowledged is
// lost in either case.
#include <sys/mount.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/support/byte_buffer.h"
#include "tests/integration/evstored_process.h"
#include "tests/integration/test_events.h"

namespace evstore::testing {
namespace {

// grpc.health.v1.HealthCheckResponse.ServingStatus values.
constexpr int kServing = 1;
constexpr int kNotServing = 2;

// Calls grpc.health.v1.Health/Check for `service` ("" is the whole server)
// with a hand-encoded request (the health proto is not installed by Debian):
// HealthCheckRequest{service = 1} and HealthCheckResponse{status = 1}.
int HealthStatus(const client::Client& client, const std::string& service) {
  std::string request;
  if (!service.empty()) {
    request.push_back(0x0a);
    request.push_back(static_cast<char>(service.size()));
    request += service;
  }
  grpc::Slice slice(request);
  grpc::ByteBuffer request_buffer(&slice, 1);
  grpc::GenericStub stub(client.channel());
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
  grpc::ByteBuffer response_buffer;
  grpc::Status status;
  bool done = false;
  std::mutex mu;
  std::condition_variable cv;
  stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(),
                 &request_buffer, &response_buffer, [&](grpc::Status s) {
                   std::lock_guard<std::mutex> lock(mu);
                   status = std::move(s);
                   done = true;
                   cv.notify_one();
                 });
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return done; });
  INFO("health check failed: " << status.error_message());
  REQUIRE(status.ok());
  std::vector<grpc::Slice> slices;
  REQUIRE(response_buffer.Dump(&slices).ok());
  std::string response;
  for (const grpc::Slice& s : slices) {
    response.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  if (response.empty()) return 0;  // UNKNOWN (the default value)
  REQUIRE(response.size() == 2);
  REQUIRE(response[0] == 0x08);
  return response[1];
}

int WaitForHealth(const client::Client& client, int wanted) {
  int status = 0;
  for (int i = 0; i < 100; ++i) {
    status = HealthStatus(client, "evstore.v1.EventStoreService");
    if (status == wanted) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return status;
}

bool Contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

TEST_CASE("a failed fsync is never acknowledged and stops appends") {
  const std::string trigger =
      std::filesystem::temp_directory_path() /
      ("evstore-fsync-fault-" + std::to_string(getpid()));
  std::filesystem::remove(trigger);
  std::filesystem::remove(trigger + ".hits");
  EvstoredProcessOptions options;
  // Under ASan the shim comes before the sanitizer runtime, which ASan
  // accepts only when told to.
  const char* asan_options = std::getenv("ASAN_OPTIONS");
  options.environment = {
      "LD_PRELOAD=" + FsyncFaultsPath(),
      "EVSTORE_FAULT_FSYNC_TRIGGER=" + trigger,
      std::string("ASAN_OPTIONS=") +
          (asan_options != nullptr ? std::string(asan_options) + ":" : "") +
          "verify_asan_link_order=0"};
  EvstoredProcess server(options);
  auto client = server.Connect();
  REQUIRE(HealthStatus(*client, "") == kServing);
  REQUIRE(HealthStatus(*client, "evstore.v1.EventStoreService") == kServing);

  const v1::AppendResponse before =
      MustAppend(*client, SingleWrite(kOrsted, kNominations, 1, 0, 10));
  REQUIRE(before.last_position() == 10);

  std::ofstream(trigger).put('x');
  const v1::AppendRequest failing = SingleWrite(kOrsted, kNominations, 2, 0, 5);
  absl::StatusOr<v1::AppendResponse> failed = client->Append(failing);
  std::filesystem::remove(trigger);
  REQUIRE(std::filesystem::exists(trigger + ".hits"));  // the fault fired
  INFO(failed.status());
  REQUIRE(failed.status().code() == absl::StatusCode::kUnavailable);
  REQUIRE(Contains(std::string(failed.status().message()), "fsync"));

  // Fail-stop: the disk "works" again, but a later fsync could succeed
  // without the data the kernel dropped, so appends stay refused.
  absl::StatusOr<v1::AppendResponse> after =
      client->Append(SingleWrite(kOrsted, kNominations, 3, 0, 1));
  REQUIRE(after.status().code() == absl::StatusCode::kUnavailable);
  REQUIRE(WaitForHealth(*client, kNotServing) == kNotServing);
  REQUIRE(HealthStatus(*client, "") == kNotServing);
  REQUIRE(Contains(server.LogText(), "storage failure"));
  // Reads keep working and show only what was acknowledged... or the
  // unacknowledged append, which was written before its fsync failed: it
  // is never partial.
  const auto events = ReadFeed(*client, kOrsted);
  REQUIRE((events.size() == 10 || events.size() == 15));

  // After a restart (on a good disk) appends work again, nothing
  // acknowledged is lost, and retrying the failed append is exactly-once.
  server.Stop();
  server.Start();
  client = server.Connect();
  REQUIRE(HealthStatus(*client, "evstore.v1.EventStoreService") == kServing);
  const v1::AppendResponse retried = MustAppend(*client, failing);
  REQUIRE(retried.first_position() == 11);
  REQUIRE(retried.last_position() == 15);
  const auto recovered = ReadFeed(*client, kOrsted);
  REQUIRE(recovered.size() == 15);
  for (size_t i = 0; i < recovered.size(); ++i) {
    REQUIRE(recovered[i].position() == i + 1);
  }
  REQUIRE(recovered[0].id() == TestUuid(1, 0));
  REQUIRE(recovered[10].id() == TestUuid(2, 0));
}

// A tmpfs of a fixed size, mounted for the test (CI and the README's test
// command run as root) and unmounted at the end.
class SmallFileSystem {
 public:
  explicit SmallFileSystem(size_t bytes) {
    path_ = std::filesystem::temp_directory_path() /
            ("evstore-small-fs-" + std::to_string(getpid()));
    std::filesystem::create_directories(path_);
    const std::string options = "size=" + std::to_string(bytes);
    const int rc = mount("tmpfs", path_.c_str(), "tmpfs", 0, options.c_str());
    INFO("mounting a tmpfs needs root (CAP_SYS_ADMIN): "
         << std::strerror(errno));
    REQUIRE(rc == 0);
  }
  ~SmallFileSystem() {
    umount2(path_.c_str(), MNT_DETACH);
    std::filesystem::remove(path_);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

void WriteBallast(const std::string& path, size_t bytes) {
  std::ofstream out(path, std::ios::binary);
  const std::string block(1 << 20, 'b');
  for (size_t written = 0; written < bytes; written += block.size()) {
    out.write(block.data(), static_cast<std::streamsize>(block.size()));
  }
  REQUIRE(out.good());
}

TEST_CASE("a full disk refuses appends and they resume once space is freed") {
  constexpr size_t kMiB = size_t{1} << 20;
  SmallFileSystem fs(384 * kMiB);
  // A reserve of 96 MiB (room for a memtable flush); once the server runs
  // (RocksDB preallocates its write-ahead log), ballast leaves about 40 MiB
  // above the reserve for appends.
  constexpr size_t kReserve = 96 * kMiB;
  EvstoredProcessOptions options;
  options.extra_flags = {"--disk_reserve_bytes=" + std::to_string(kReserve)};
  options.data_dir = fs.path() + "/data";
  EvstoredProcess server(options);
  const std::string ballast = fs.path() + "/ballast";
  const auto free = std::filesystem::space(fs.path()).available;
  REQUIRE(free > kReserve + 48 * kMiB);
  WriteBallast(ballast, free - kReserve - 40 * kMiB);
  auto client = server.Connect();

  // A subscriber that stays connected through it all.
  v1::SubscribeRequest subscribe;
  subscribe.set_customer(kGasum);
  auto subscription = client->Subscribe(subscribe);

  // Fill the disk with 64-event appends until the server refuses.
  std::vector<v1::AppendRequest> acknowledged;
  absl::Status refusal;
  for (uint32_t n = 0; n < 100'000 && refusal.ok(); ++n) {
    v1::AppendRequest request = SingleWrite(kGasum, kNominations, n, 0, 64);
    for (v1::ProposedEvent& event :
         *request.mutable_writes(0)->mutable_events()) {
      event.set_data(R"({"filler":")" + std::string(4000, 'x') + R"("})");
    }
    absl::StatusOr<v1::AppendResponse> response = client->Append(request);
    if (response.ok()) {
      acknowledged.push_back(std::move(request));
    } else {
      refusal = response.status();
    }
  }
  INFO(refusal);
  REQUIRE(refusal.code() == absl::StatusCode::kResourceExhausted);
  REQUIRE(Contains(std::string(refusal.message()), "almost full"));
  REQUIRE(acknowledged.size() > 10);
  const uint64_t head = acknowledged.size() * 64;

  // Still refused, still serving reads and the subscription.
  REQUIRE(client->Append(SingleWrite(kGasum, kForecast, 900'000, 0, 1))
              .status()
              .code() == absl::StatusCode::kResourceExhausted);
  REQUIRE(HealthStatus(*client, "evstore.v1.EventStoreService") == kServing);
  REQUIRE(ReadFeed(*client, kGasum).size() == head);
  uint64_t delivered = 0;
  while (delivered < head) {
    absl::StatusOr<v1::SubscribeResponse> next =
        subscription->Next(absl::Seconds(30));
    INFO(next.status());
    REQUIRE(next.ok());
    for (const v1::RecordedEvent& event : next->events().events()) {
      REQUIRE(event.position() == ++delivered);
    }
  }

  // Space is freed: appends resume by themselves.
  std::filesystem::remove(ballast);
  absl::StatusOr<v1::AppendResponse> resumed;
  const v1::AppendRequest after = SingleWrite(kGasum, kForecast, 900'001, 0, 3);
  for (int attempt = 0; attempt < 100; ++attempt) {
    resumed = client->Append(after);
    if (resumed.ok()) break;
    REQUIRE(resumed.status().code() == absl::StatusCode::kResourceExhausted);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  INFO(resumed.status());
  REQUIRE(resumed.ok());
  REQUIRE(resumed->first_position() == head + 1);

  // The subscriber gets the new events; nothing acknowledged was lost,
  // also across a restart.
  while (delivered < head + 3) {
    absl::StatusOr<v1::SubscribeResponse> next =
        subscription->Next(absl::Seconds(30));
    REQUIRE(next.ok());
    for (const v1::RecordedEvent& event : next->events().events()) {
      REQUIRE(event.position() == ++delivered);
    }
  }
  subscription->Cancel();
  server.Stop();
  server.Start();
  client = server.Connect();
  const auto events = ReadFeed(*client, kGasum);
  REQUIRE(events.size() == head + 3);
  for (size_t i = 0; i < acknowledged.size(); ++i) {
    REQUIRE(events[i * 64].id() == acknowledged[i].writes(0).events(0).id());
  }
}

}  // namespace
}  // namespace evstore::testing
