// Scraping evstored's Prometheus endpoint in tests: a plain HTTP/1.0 GET
// over a socket (no HTTP library needed) and a parser of the text format's
// samples.
#ifndef EVSTORE_TESTS_INTEGRATION_METRICS_SCRAPE_H_
#define EVSTORE_TESTS_INTEGRATION_METRICS_SCRAPE_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <optional>
#include <sstream>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace evstore::testing {

// GET http://127.0.0.1:<port><path>; the body of a 200 answer, or why not.
inline absl::StatusOr<std::string> HttpGet(int port, const std::string& path) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError("socket() failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&address),
              sizeof address) != 0) {
    close(fd);
    return absl::UnavailableError(
        absl::StrCat("cannot connect to port ", port));
  }
  const std::string request =
      absl::StrCat("GET ", path, " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
  if (write(fd, request.data(), request.size()) !=
      static_cast<ssize_t>(request.size())) {
    close(fd);
    return absl::UnavailableError("cannot send the request");
  }
  std::string response;
  char buffer[16384];
  for (ssize_t n; (n = read(fd, buffer, sizeof buffer)) > 0;) {
    response.append(buffer, static_cast<size_t>(n));
  }
  close(fd);
  const size_t body = response.find("\r\n\r\n");
  if (body == std::string::npos) {
    return absl::UnavailableError(
        absl::StrCat("no HTTP response: \"", response, "\""));
  }
  const std::string status_line = response.substr(0, response.find("\r\n"));
  if (status_line.find(" 200 ") == std::string::npos) {
    return absl::UnavailableError(
        absl::StrCat("HTTP answer \"", status_line, "\""));
  }
  return response.substr(body + 4);
}

// The samples of a text exposition: "name{labels}" (as written) -> value.
inline std::map<std::string, double> ParseSamples(const std::string& text) {
  std::map<std::string, double> samples;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.rfind(' ');
    if (space == std::string::npos) continue;
    samples[line.substr(0, space)] =
        std::strtod(line.c_str() + space + 1, nullptr);
  }
  return samples;
}

// The value of `sample` ("name" or "name{label=\"value\"}"), if present.
inline std::optional<double> SampleValue(
    const std::map<std::string, double>& samples, const std::string& sample) {
  auto it = samples.find(sample);
  if (it == samples.end()) return std::nullopt;
  return it->second;
}

}  // namespace evstore::testing

#endif  // EVSTORE_TESTS_INTEGRATION_METRICS_SCRAPE_H_
