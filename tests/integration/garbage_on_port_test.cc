// Whatever arrives on the gRPC port over plain TCP (random bytes, HTTP/1.1,
// a truncated HTTP/2 preface, a TLS ClientHello, sockets that connect and
// send nothing): the server must not crash, must keep serving other clients
// normally meanwhile, and must release every descriptor once the sockets
// close.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tests/integration/evstored_process.h"
#include "tests/integration/server_resources.h"
#include "tests/integration/subscribe_support.h"

namespace evstore::testing {
namespace {

const std::string kCustomer = "garbage-energy";

// A TCP connection to the server, closed by the destructor.
class RawSocket {
 public:
  explicit RawSocket(const EvstoredProcess& server) {
    const std::string address = server.address();
    const int port = std::stoi(address.substr(address.rfind(':') + 1));
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<uint16_t>(port));
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(connect(fd_, reinterpret_cast<const sockaddr*>(&to), sizeof to) ==
            0);
  }
  ~RawSocket() {
    if (fd_ >= 0) close(fd_);
  }
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;

  // Sends all of `bytes`, unless the server closes the connection first.
  // Returns whether everything was sent.
  bool Send(const std::string& bytes) {
    size_t sent = 0;
    while (sent < bytes.size()) {
      const ssize_t n =
          send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<size_t>(n);
    }
    return true;
  }

  // Reads (and discards) what the server sends until it closes the
  // connection (true) or `timeout` passes (false). The bytes read are kept
  // in `received` (up to 64 KiB).
  bool ClosedByServerWithin(absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    char buffer[4096];
    for (;;) {
      const absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) return false;
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1) <=
          0) {
        continue;
      }
      const ssize_t n = recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) return true;  // EOF or reset.
      if (received.size() < (64 << 10)) {
        received.append(buffer, static_cast<size_t>(n));
      }
    }
  }

  std::string received;

 private:
  int fd_ = -1;
};

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 random(seed);
  std::string bytes(n, '\0');
  for (char& c : bytes) c = static_cast<char>(random() & 0xff);
  return bytes;
}

// A TLS 1.2 ClientHello record (as a TLS client opens a connection), with
// an SNI of "evstore" and a few cipher suites.
std::string TlsClientHello() {
  const unsigned char hello[] = {
      0x16, 0x03, 0x01, 0x00, 0x4c,  // handshake record, 76 bytes
      0x01, 0x00, 0x00, 0x48,        // ClientHello, 72 bytes
      0x03, 0x03,                    // TLS 1.2
      // 32 bytes of client random
      0x5a, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
      0xcc, 0xdd, 0xee, 0xff, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
      0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
      0x00,                                            // no session id
      0x00, 0x06, 0xc0, 0x2f, 0xc0, 0x2b, 0x00, 0x9c,  // 3 cipher suites
      0x01, 0x00,                                      // null compression
      0x00, 0x19,                                      // extensions, 25 bytes
      0x00, 0x00, 0x00, 0x0c, 0x00, 0x0a, 0x00, 0x00, 0x07,  // SNI
      'e', 'v', 's', 't', 'o', 'r', 'e', 0x00, 0x10, 0x00, 0x05, 0x00, 0x03,
      0x02, 'h', '2'};  // ALPN h2
  static_assert(sizeof hello == 5 + 0x4c);
  return std::string(reinterpret_cast<const char*>(hello), sizeof hello);
}

// Appends, reads and subscribes as a normal client, once; requires each to
// work. Used while the garbage sockets are open.
void RequireNormalClientServed(const EvstoredProcess& server, FeedModel& model,
                               uint64_t* seq) {
  std::unique_ptr<client::Client> client = server.Connect();
  AppendOrFail(*client, model,
               MakeAppend(kCustomer, {"normal/client"}, {"StillServed"}, 1, seq,
                          20, 256));
  const uint64_t head = model.Head(kCustomer);
  std::unique_ptr<client::Subscription> subscription =
      client->Subscribe(SubscribeFrom(kCustomer, 0));
  Received got;
  REQUIRE(PullUntil(*subscription, got, LiveThrough(head), absl::Seconds(30)));
  CheckDelivery(got, model.Feed(kCustomer),
                Expectation().After(0).Through(head));
}

TEST_CASE(
    "garbage on the port is refused and the server keeps serving other "
    "clients") {
  EvstoredProcess server;
  FeedModel model;
  uint64_t seq = 0;
  RequireNormalClientServed(server, model, &seq);
  absl::SleepFor(absl::Milliseconds(500));
  const size_t fds_baseline = OpenFdCount(server.pid());

  struct Garbage {
    std::string name;
    std::string bytes;
    // Whether the server is expected to close the connection by itself
    // (it cannot for a preface that is only incomplete yet).
    bool server_closes;
  };
  const std::vector<Garbage> garbage = {
      {"1 KiB of random bytes", RandomBytes(1 << 10, 1), true},
      {"1 MiB of random bytes", RandomBytes(1 << 20, 2), true},
      {"an HTTP/1.1 GET",
       "GET / HTTP/1.1\r\nHost: evstore\r\nUser-Agent: curl/7.88.1\r\n"
       "Accept: */*\r\n\r\n",
       true},
      {"an HTTP/1.1 upgrade to h2c",
       "GET / HTTP/1.1\r\nHost: evstore\r\nConnection: Upgrade, "
       "HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__"
       "\r\n\r\n",
       true},
      {"a TLS ClientHello", TlsClientHello(), true},
      {"a preface followed by garbage frames",
       "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + RandomBytes(4096, 3), true},
      {"a truncated HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nS", false},
  };

  std::vector<std::unique_ptr<RawSocket>> open;
  for (const Garbage& g : garbage) {
    INFO(g.name);
    for (int i = 0; i < 5; ++i) {
      auto socket = std::make_unique<RawSocket>(server);
      socket->Send(g.bytes);  // The server may close before it has all.
      if (g.server_closes) {
        CHECK(socket->ClosedByServerWithin(absl::Seconds(10)));
      } else {
        CHECK_FALSE(socket->ClosedByServerWithin(absl::Milliseconds(200)));
        open.push_back(std::move(socket));
      }
    }
    RequireNormalClientServed(server, model, &seq);
  }

  // Slowloris: many connections that never send a byte, held open while a
  // normal client works.
  constexpr int kSilent = 500;
  for (int i = 0; i < kSilent; ++i) {
    open.push_back(std::make_unique<RawSocket>(server));
  }
  absl::SleepFor(absl::Milliseconds(500));
  const size_t fds_with_silent = OpenFdCount(server.pid());
  // The server did accept them (or the test would prove nothing).
  CHECK(fds_with_silent >= fds_baseline + kSilent);
  for (int i = 0; i < 3; ++i) RequireNormalClientServed(server, model, &seq);
  // Half of them now send a truncated preface and stall there.
  for (size_t i = 0; i < open.size(); i += 2) {
    open[i]->Send("PRI * HTTP/2.0\r\n");
  }
  RequireNormalClientServed(server, model, &seq);

  open.clear();
  const size_t fds_settled =
      WaitForFdsAtMost(server, fds_baseline + 2, absl::Seconds(20));
  WARN("server fds baseline " << fds_baseline << ", with " << kSilent
                              << " silent sockets " << fds_with_silent
                              << ", after closing them " << fds_settled);
  CHECK(fds_settled <= fds_baseline + 2);
  RequireServes(server, model, kCustomer);
  // It never crashed: it is the same process and shuts down cleanly.
  const int exit_status = server.Stop();
  CHECK(WIFEXITED(exit_status));
  CHECK(WEXITSTATUS(exit_status) == 0);
}

// Regression test: evstored inherited its launcher's soft descriptor limit
// (commonly 1024), and gRPC 1.51 stops accepting connections for good once
// accept4() fails with EMFILE: a client holding that many idle sockets made
// the server deaf to every new client, even after the sockets closed.
// evstored now raises its soft limit to the hard limit at startup.
TEST_CASE(
    "a flood of idle connections beyond the inherited soft descriptor limit "
    "does not make the server deaf") {
  constexpr rlim_t kInheritedSoftLimit = 256;
  constexpr int kFlood = 400;
  rlimit ours{};
  REQUIRE(getrlimit(RLIMIT_NOFILE, &ours) == 0);
  if (ours.rlim_max < kInheritedSoftLimit + kFlood + 200) {
    WARN("hard descriptor limit " << ours.rlim_max << " is too low to test");
    return;
  }
  // The server inherits a soft limit of 256 (as from a launcher's 1024).
  rlimit inherited = ours;
  inherited.rlim_cur = kInheritedSoftLimit;
  REQUIRE(setrlimit(RLIMIT_NOFILE, &inherited) == 0);
  EvstoredProcess server;
  REQUIRE(setrlimit(RLIMIT_NOFILE, &ours) == 0);
  FeedModel model;
  uint64_t seq = 0;
  RequireNormalClientServed(server, model, &seq);

  std::vector<std::unique_ptr<RawSocket>> flood;
  flood.reserve(kFlood);
  for (int i = 0; i < kFlood; ++i) {
    flood.push_back(std::make_unique<RawSocket>(server));
  }
  absl::SleepFor(absl::Milliseconds(500));
  const size_t fds_flooded = OpenFdCount(server.pid());
  flood.clear();
  absl::SleepFor(absl::Milliseconds(500));
  WARN("server fds with " << kFlood << " idle sockets: " << fds_flooded);
  CHECK(fds_flooded >= static_cast<size_t>(kFlood));
  // New clients are still accepted (a deaf server fails this by deadline).
  RequireNormalClientServed(server, model, &seq);
}

}  // namespace
}  // namespace evstore::testing
