#include "relay/kafka_sink.h"

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "relay/cloud_event.h"

namespace evstore::relay {
namespace {

// How long one rd_kafka_poll waits for delivery reports.
constexpr int kPollMillis = 100;

}  // namespace

absl::StatusOr<std::unique_ptr<KafkaSink>> KafkaSink::Create(
    KafkaSinkOptions options, const absl::Notification* stop) {
  std::unique_ptr<KafkaSink> sink(new KafkaSink(std::move(options), stop));
  if (absl::Status status = sink->MakeProducer(); !status.ok()) return status;
  return sink;
}

KafkaSink::KafkaSink(KafkaSinkOptions options, const absl::Notification* stop)
    : options_(std::move(options)), stop_(stop) {}

KafkaSink::~KafkaSink() {
  if (producer_ == nullptr) return;
  rd_kafka_flush(producer_, 10'000);
  rd_kafka_destroy(producer_);
}

absl::Status KafkaSink::MakeProducer() {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char error[512];
  std::vector<std::pair<std::string, std::string>> properties =
      options_.properties;
  properties.emplace_back("enable.idempotence", "true");
  properties.emplace_back("acks", "all");
  for (const auto& [name, value] : properties) {
    if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), error,
                          sizeof(error)) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      // librdkafka's message may quote the value; name the property only.
      return absl::InvalidArgumentError(
          absl::StrCat("kafka property ", name, " was rejected"));
    }
  }
  rd_kafka_conf_set_dr_msg_cb(conf, &KafkaSink::OnDelivery);
  rd_kafka_conf_set_opaque(conf, this);
  producer_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof(error));
  if (producer_ == nullptr) {
    rd_kafka_conf_destroy(conf);  // Only freed by rd_kafka_new on success.
    return absl::InvalidArgumentError(
        absl::StrCat("cannot create the kafka producer: ", error));
  }
  return absl::OkStatus();
}

void KafkaSink::OnDelivery(rd_kafka_t* /*producer*/,
                           const rd_kafka_message_t* message, void* opaque) {
  auto* sink = static_cast<KafkaSink*>(opaque);
  *static_cast<rd_kafka_resp_err_t*>(message->_private) = message->err;
  --sink->outstanding_;
}

absl::Status KafkaSink::Produce(const v1::RecordedEvent& event,
                                rd_kafka_resp_err_t* result) {
  rd_kafka_headers_t* headers = rd_kafka_headers_new(12);
  const std::string source = options_.source.empty()
                                 ? DefaultSource(event.customer())
                                 : options_.source;
  for (const auto& [name, value] : KafkaHeaders(event, source)) {
    rd_kafka_header_add(headers, name.data(), static_cast<ssize_t>(name.size()),
                        value.data(), static_cast<ssize_t>(value.size()));
  }
  const bool claim_check = event.data().size() > options_.claim_check_bytes;
  if (claim_check) {
    rd_kafka_header_add(headers, "evstore_claimcheck", -1, "1", 1);
  }
  const std::string_view value =
      claim_check ? std::string_view() : std::string_view(event.data());
  // rd_kafka_produceva rather than the RD_KAFKA_V_* macros of
  // rd_kafka_producev, which use GNU statement expressions.
  rd_kafka_vu_t fields[6] = {};
  fields[0].vtype = RD_KAFKA_VTYPE_TOPIC;
  fields[0].u.cstr = options_.topic.c_str();
  fields[1].vtype = RD_KAFKA_VTYPE_KEY;
  fields[1].u.mem = {const_cast<char*>(event.stream().data()),
                     event.stream().size()};
  fields[2].vtype = RD_KAFKA_VTYPE_VALUE;
  fields[2].u.mem = {const_cast<char*>(value.data()), value.size()};
  fields[3].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
  fields[3].u.i = RD_KAFKA_MSG_F_COPY;
  fields[4].vtype = RD_KAFKA_VTYPE_HEADERS;
  fields[4].u.headers = headers;
  fields[5].vtype = RD_KAFKA_VTYPE_OPAQUE;
  fields[5].u.ptr = result;
  while (true) {
    rd_kafka_error_t* failure = rd_kafka_produceva(producer_, fields, 6);
    if (failure == nullptr) {
      ++outstanding_;  // librdkafka owns `headers` now.
      return absl::OkStatus();
    }
    const rd_kafka_resp_err_t error = rd_kafka_error_code(failure);
    rd_kafka_error_destroy(failure);
    if (error != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      rd_kafka_headers_destroy(headers);
      return absl::UnavailableError(absl::StrCat(
          "kafka produce to ", options_.topic, ": ", rd_kafka_err2str(error)));
    }
    if (stop_ != nullptr && stop_->HasBeenNotified()) {
      rd_kafka_headers_destroy(headers);
      return absl::CancelledError("relay stopping");
    }
    rd_kafka_poll(producer_, kPollMillis);  // Make room: serve reports.
  }
}

absl::Status KafkaSink::Deliver(absl::Span<const v1::RecordedEvent> events,
                                DeliveryReport& report) {
  if (producer_ != nullptr) {
    char reason[256];
    if (rd_kafka_fatal_error(producer_, reason, sizeof(reason)) !=
        RD_KAFKA_RESP_ERR_NO_ERROR) {
      // The idempotent producer cannot go on (e.g. its sequence was lost);
      // a new one gets a new producer id.
      rd_kafka_destroy(producer_);
      producer_ = nullptr;
    }
  }
  if (producer_ == nullptr) {
    if (absl::Status status = MakeProducer(); !status.ok()) return status;
  }
  // One result per event, written by OnDelivery; kept alive until every
  // report arrived (librdkafka reports each message once, at the latest
  // after message.timeout.ms).
  std::vector<rd_kafka_resp_err_t> results(events.size(),
                                           RD_KAFKA_RESP_ERR_NO_ERROR);
  absl::Status status;
  std::size_t produced = 0;
  for (; produced < events.size(); ++produced) {
    status = Produce(events[produced], &results[produced]);
    if (!status.ok()) break;
  }
  bool purged = false;
  while (outstanding_ > 0) {
    if (!purged && stop_ != nullptr && stop_->HasBeenNotified()) {
      // Their reports arrive at once, as failures (they may still reach
      // the topic: at-least-once).
      rd_kafka_purge(producer_,
                     RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
      purged = true;
    }
    rd_kafka_poll(producer_, kPollMillis);
  }
  bool prefix_settled = true;
  for (std::size_t i = 0; i < produced; ++i) {
    if (results[i] == RD_KAFKA_RESP_ERR_NO_ERROR) {
      ++report.delivered;
      if (prefix_settled) ++report.settled_prefix;
      continue;
    }
    prefix_settled = false;
    if (purged) {
      status = absl::CancelledError("relay stopping");
    } else if (status.ok()) {
      status = absl::UnavailableError(
          absl::StrCat("kafka delivery to ", options_.topic,
                       " failed: ", rd_kafka_err2str(results[i])));
    }
  }
  return status;
}

}  // namespace evstore::relay
