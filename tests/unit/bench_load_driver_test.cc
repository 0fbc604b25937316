// The benchmark's shared measuring code (bench/load_driver.h,
// bench/stamped_payload.h): every system's figures go through it, so a
// miscount here would skew every comparison.
#include <simdjson.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "bench/load_driver.h"
#include "bench/stamped_payload.h"

using namespace evstore::bench;

TEST_CASE("stamped payloads are valid JSON of the exact size with the stamp") {
  simdjson::dom::parser parser;
  for (std::size_t bytes : {kMinStampedPayloadBytes, std::size_t{100},
                            std::size_t{256}, std::size_t{4096}}) {
    std::string payload = StampedPayload(bytes, 68, 1234567890123);
    INFO(payload);
    REQUIRE(payload.size() == bytes);
    REQUIRE(parser.parse(payload).error() == simdjson::SUCCESS);
    REQUIRE(ParseSentNs(payload) == 1234567890123);
    Restamp(payload, 98765);
    REQUIRE(payload.size() == bytes);
    REQUIRE(parser.parse(payload).error() == simdjson::SUCCESS);
    REQUIRE(ParseSentNs(payload) == 98765);
  }
}

TEST_CASE("data without a send stamp is not mistaken for one") {
  REQUIRE_FALSE(ParseSentNs("").has_value());
  REQUIRE_FALSE(ParseSentNs("{\"contract\":\"DS000068\"}").has_value());
  REQUIRE_FALSE(
      ParseSentNs("{\"sentNs\":\"12x45678901234567890\",\"a\":1}").has_value());
}

TEST_CASE("subscribers are spread evenly over the customers") {
  REQUIRE(SubscribersPerCustomer(100, 10) == std::vector<int>(10, 10));
  REQUIRE(SubscribersPerCustomer(3, 2) == std::vector<int>{2, 1});
  REQUIRE(CustomerOfSubscriber(13, 10) == 3);
}

namespace {

// An in-process "feed": a send delivers at once to every subscriber of the
// customer, except that every `drop_every`-th delivery is lost (0: none).
struct InstantFeed {
  int subscribers = 0;
  int customers = 0;
  int drop_every = 0;
  std::vector<std::unique_ptr<DeliveryLog>> logs;
  std::atomic<int> deliveries{0};

  InstantFeed(int subscriber_count, int customer_count, int drop,
              const RunWindow* window)
      : subscribers(subscriber_count),
        customers(customer_count),
        drop_every(drop) {
    for (int s = 0; s < subscribers; ++s) {
      logs.push_back(std::make_unique<DeliveryLog>(window));
    }
  }
  std::vector<DeliveryLog*> Logs() {
    std::vector<DeliveryLog*> out;
    for (auto& log : logs) out.push_back(log.get());
    return out;
  }
  absl::Status Send(int customer) {
    const std::int64_t sent = MonotonicNowNs();
    for (int s = 0; s < subscribers; ++s) {
      if (CustomerOfSubscriber(s, customers) != customer) continue;
      if (drop_every > 0 && ++deliveries % drop_every == 0) continue;
      logs[static_cast<std::size_t>(s)]->Record(sent);
    }
    return absl::OkStatus();
  }
};

FixedRateOptions ShortFixedRateRun(int subscribers, int customers) {
  FixedRateOptions options;
  options.driver.producers = 4;
  options.driver.warmup_s = 0.1;
  options.driver.duration_s = 0.3;
  options.rate = 2000;
  options.event_bytes = 256;
  options.subscribers_per_customer =
      SubscribersPerCustomer(subscribers, customers);
  options.drain_timeout_s = 0.5;
  return options;
}

}  // namespace

TEST_CASE("a fixed-rate run counts every delivery of every event sent") {
  RunWindow window;
  InstantFeed feed(20, 10, /*drop=*/0, &window);
  const RunResult result =
      RunFixedRate(ShortFixedRateRun(20, 10), window, feed.Logs(),
                   [&feed](int, int customer) { return feed.Send(customer); });
  INFO(result.first_error);
  REQUIRE(result.errors == 0);
  REQUIRE(result.total_events > 0);
  REQUIRE(result.expected_deliveries == 2 * result.total_events);
  REQUIRE(result.total_deliveries == result.expected_deliveries);
  // The window counts events by the driver's send time and deliveries by
  // the feed's stamp, taken microseconds later: an event sent right at a
  // window edge may fall on different sides of it.
  REQUIRE(result.window_deliveries + 4 >= 2 * result.events);
  REQUIRE(result.window_deliveries <= 2 * result.events + 4);
  REQUIRE(result.latency.samples == result.window_deliveries);
  REQUIRE(result.bytes == 256 * result.events);
}

TEST_CASE("a fixed-rate run reports deliveries that never arrived") {
  RunWindow window;
  InstantFeed feed(20, 10, /*drop=*/50, &window);
  const RunResult result =
      RunFixedRate(ShortFixedRateRun(20, 10), window, feed.Logs(),
                   [&feed](int, int customer) { return feed.Send(customer); });
  REQUIRE(result.total_deliveries < result.expected_deliveries);
  REQUIRE(result.errors == 1);
  REQUIRE(result.first_error.find("expected") != std::string::npos);
}

TEST_CASE("a closed-loop producer stops at its first failed append") {
  DriverOptions options;
  options.producers = 3;
  options.warmup_s = 0;
  options.duration_s = 0.2;
  std::atomic<int> producer0_calls{0};
  const RunResult result = RunClosedLoop(
      options, [&](int producer) -> absl::StatusOr<AppendOutcome> {
        if (producer == 0 && ++producer0_calls > 5) {
          return absl::UnavailableError("peer went away");
        }
        return AppendOutcome{.events = 10, .bytes = 2560};
      });
  REQUIRE(producer0_calls == 6);
  REQUIRE(result.errors == 1);
  REQUIRE(result.first_error.find("peer went away") != std::string::npos);
  REQUIRE(result.events == 10 * result.appends);
  REQUIRE(result.bytes == 2560 * result.appends);
  REQUIRE(result.latency.samples == result.appends);
}
