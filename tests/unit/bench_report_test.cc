// The benchmark's JSON line (bench/report.h, bench/workload_figures.h):
// compare.sh and compare_report.sh read every figure from it, so a missing
// field or a malformed object would silently drop a workload's row.
#include <simdjson.h>

#include <catch2/catch.hpp>
#include <string>

#include "bench/report.h"

using namespace evstore::bench;

namespace {

RunConfig Config(const std::string& workload) {
  RunConfig config;
  config.workload = workload;
  config.transport = "unary";
  config.producers = 16;
  config.batch = 100;
  config.event_bytes = 256;
  config.customers = 10;
  config.streams = 1000;
  config.ids = "random";
  config.subscribers = 100;
  config.rate = 5000;
  return config;
}

// Parses `json` into `doc`, failing the test when it is not valid JSON.
simdjson::dom::element Parse(simdjson::dom::parser& parser,
                             const std::string& json) {
  INFO(json);
  simdjson::dom::element doc;
  REQUIRE(parser.parse(json).get(doc) == simdjson::SUCCESS);
  return doc;
}

}  // namespace

TEST_CASE("a catch-up run reports its read rate and its catchup figures") {
  RunResult result;
  result.window_s = 2;
  result.events = 1'000'000;
  result.bytes = 256'000'000;
  result.catchup = CatchupFigures{.feed_events = 1'000'000,
                                  .preloaded_events = 400'000,
                                  .preload_s = 4.5,
                                  .caught_up_s = 2.25};
  simdjson::dom::parser parser;
  const auto doc = Parse(parser, FormatJson(Config("catchup"), result));
  REQUIRE(double(doc["events_per_s"]) == 500'000.0);
  REQUIRE(double(doc["mb_per_s"]) == 128.0);
  REQUIRE(uint64_t(doc["catchup"]["feed_events"]) == 1'000'000);
  REQUIRE(uint64_t(doc["catchup"]["preloaded_events"]) == 400'000);
  REQUIRE(double(doc["catchup"]["preload_s"]) == 4.5);
  REQUIRE(double(doc["catchup"]["caught_up_s"]) == 2.25);
  REQUIRE(doc["growth"].error() == simdjson::NO_SUCH_FIELD);
  REQUIRE(doc["subscribers"].error() == simdjson::NO_SUCH_FIELD);
}

TEST_CASE("a growth run reports both batched runs and full over empty") {
  RunResult result;
  GrowthFigures growth;
  growth.empty.events_per_s = 100'000;
  growth.empty.latency.p99_ms = 20;
  growth.full.events_per_s = 80'000;
  growth.full.latency.p99_ms = 30;
  growth.full.server_cpu_cores = 0.75;
  growth.store_events = 50'000'000;
  growth.fill_events = 48'800'000;
  growth.fill_s = 400;
  REQUIRE(growth.Ratio() == Approx(0.8));
  result.growth = growth;
  simdjson::dom::parser parser;
  auto doc = Parse(parser, FormatJson(Config("growth"), result));
  REQUIRE(double(doc["growth"]["empty"]["events_per_s"]) == 100'000.0);
  REQUIRE(double(doc["growth"]["full"]["events_per_s"]) == 80'000.0);
  REQUIRE(double(doc["growth"]["full"]["p99_ms"]) == 30.0);
  REQUIRE(double(doc["growth"]["full"]["server_cpu_cores"]) == 0.75);
  REQUIRE(doc["growth"]["empty"]["server_cpu_cores"].is_null());
  REQUIRE(double(doc["growth"]["ratio"]) == 0.8);
  REQUIRE(uint64_t(doc["growth"]["store_events"]) == 50'000'000);
  REQUIRE(uint64_t(doc["growth"]["fill_events"]) == 48'800'000);
  REQUIRE(doc["growth"]["disk_bytes"].is_null());

  result.growth->disk_bytes = 31'000'000'000;
  doc = Parse(parser, FormatJson(Config("growth"), result));
  REQUIRE(uint64_t(doc["growth"]["disk_bytes"]) == 31'000'000'000);
}

TEST_CASE("an empty-store run that measured nothing has ratio 0") {
  GrowthFigures growth;
  growth.full.events_per_s = 80'000;
  REQUIRE(growth.Ratio() == 0);
}

TEST_CASE("an idle-subscribers run reports W3's fields and the idle figures") {
  RunResult result;
  result.expected_deliveries = 500'000;
  result.total_deliveries = 500'000;
  result.idle = IdleFigures{.subscriptions = 10'000,
                            .connections = 10,
                            .kind = "quiet",
                            .open_s = 1.5,
                            .rss_before_bytes = 32 << 20,
                            .rss_idle_bytes = 212 << 20,
                            .rss_max_bytes = 280 << 20,
                            .heartbeats = 20'000,
                            .unexpected_events = 0,
                            .failures = 0};
  simdjson::dom::parser parser;
  const auto doc =
      Parse(parser, FormatJson(Config("idle_subscribers"), result));
  REQUIRE(uint64_t(doc["subscribers"]) == 100);
  REQUIRE(uint64_t(doc["expected_deliveries"]) == 500'000);
  REQUIRE(uint64_t(doc["idle"]["subscriptions"]) == 10'000);
  REQUIRE(uint64_t(doc["idle"]["connections"]) == 10);
  REQUIRE(std::string_view(doc["idle"]["kind"]) == "quiet");
  REQUIRE(uint64_t(doc["idle"]["rss_max_bytes"]) == uint64_t{280} << 20);
  REQUIRE(uint64_t(doc["idle"]["rss_idle_bytes"]) == uint64_t{212} << 20);
  REQUIRE(uint64_t(doc["idle"]["heartbeats"]) == 20'000);
}
