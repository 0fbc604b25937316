#include "tests/relay/webhook_receiver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "relay/webhook_signature.h"

namespace evstore::testing {
namespace {

// Waits until `fd` is readable or 100 ms passed; false on timeout.
bool Readable(int fd) {
  pollfd entry{.fd = fd, .events = POLLIN, .revents = 0};
  return ::poll(&entry, 1, 100) > 0;
}

}  // namespace

bool SignatureVerifies(const ReceivedRequest& request,
                       const std::string& secret) {
  const auto timestamp = request.headers.find("x-evstore-timestamp");
  const auto signature = request.headers.find("x-evstore-signature");
  if (timestamp == request.headers.end() ||
      signature == request.headers.end()) {
    return false;
  }
  std::int64_t seconds = 0;
  return absl::SimpleAtoi(timestamp->second, &seconds) &&
         relay::VerifyWebhookSignature(secret, seconds, request.body,
                                       signature->second);
}

WebhookReceiver::WebhookReceiver(
    std::function<ReceiverReply(const ReceivedRequest&)> policy)
    : policy_(std::move(policy)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  if (listen_fd_ < 0 ||
      ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      ::listen(listen_fd_, 16) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address),
                    &length) != 0) {
    throw std::runtime_error("WebhookReceiver: cannot listen");
  }
  port_ = ntohs(address.sin_port);
  thread_ = std::thread([this] { Serve(); });
}

WebhookReceiver::~WebhookReceiver() {
  stop_ = true;
  thread_.join();
  for (std::thread& connection : connections_) connection.join();
  ::close(listen_fd_);
}

std::string WebhookReceiver::url() const {
  return absl::StrCat("http://127.0.0.1:", port_, "/hook");
}

std::vector<ReceivedRequest> WebhookReceiver::requests() const {
  MutexLock lock(&mu_);
  return requests_;
}

void WebhookReceiver::Serve() {
  while (!stop_) {
    if (!Readable(listen_fd_)) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    connections_.emplace_back([this, fd] {
      ServeConnection(fd);
      ::close(fd);
    });
  }
}

void WebhookReceiver::ServeConnection(int fd) {
  std::string buffer;
  char chunk[65536];
  while (!stop_) {
    // Read until a complete request (headers and Content-Length bytes).
    const std::size_t header_end = buffer.find("\r\n\r\n");
    ReceivedRequest request;
    std::size_t body_length = 0;
    bool complete = false;
    if (header_end != std::string::npos) {
      const std::vector<std::string> lines =
          absl::StrSplit(buffer.substr(0, header_end), "\r\n");
      const std::vector<std::string> request_line =
          absl::StrSplit(lines[0], ' ');
      request.method = request_line[0];
      request.path = request_line.size() > 1 ? request_line[1] : "";
      for (std::size_t i = 1; i < lines.size(); ++i) {
        const std::size_t colon = lines[i].find(':');
        if (colon == std::string::npos) continue;
        request.headers[absl::AsciiStrToLower(lines[i].substr(0, colon))] =
            std::string(absl::StripAsciiWhitespace(lines[i].substr(colon + 1)));
      }
      if (auto it = request.headers.find("content-length");
          it != request.headers.end()) {
        (void)absl::SimpleAtoi(it->second, &body_length);
      }
      complete = buffer.size() >= header_end + 4 + body_length;
    }
    if (!complete) {
      if (!Readable(fd)) continue;
      const ssize_t got = ::recv(fd, chunk, sizeof(chunk), 0);
      if (got <= 0) return;  // The client closed the connection.
      buffer.append(chunk, static_cast<std::size_t>(got));
      continue;
    }
    request.body = buffer.substr(header_end + 4, body_length);
    buffer.erase(0, header_end + 4 + body_length);
    const ReceiverReply reply = policy_(request);
    if (reply.delay > absl::ZeroDuration()) absl::SleepFor(reply.delay);
    request.status = reply.status;
    {
      MutexLock lock(&mu_);
      requests_.push_back(request);
    }
    const std::string response = absl::StrCat(
        "HTTP/1.1 ", reply.status, " Test\r\nContent-Length: 0\r\n\r\n");
    if (::send(fd, response.data(), response.size(), MSG_NOSIGNAL) < 0) return;
  }
}

}  // namespace evstore::testing
