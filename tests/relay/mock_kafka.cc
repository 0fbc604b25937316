#include "tests/relay/mock_kafka.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace evstore::testing {

MockKafka::MockKafka(const std::string& topic, int partitions) {
  char error[256];
  handle_ = rd_kafka_new(RD_KAFKA_PRODUCER, rd_kafka_conf_new(), error,
                         sizeof(error));
  REQUIRE(handle_ != nullptr);
  cluster_ = rd_kafka_mock_cluster_new(handle_, 3);
  REQUIRE(cluster_ != nullptr);
  REQUIRE(rd_kafka_mock_topic_create(cluster_, topic.c_str(), partitions, 3) ==
          RD_KAFKA_RESP_ERR_NO_ERROR);
}

MockKafka::~MockKafka() {
  rd_kafka_mock_cluster_destroy(cluster_);
  rd_kafka_destroy(handle_);
}

void MockKafka::SetAllBrokers(bool up) {
  for (int32_t broker = 1; broker <= 3; ++broker) {
    REQUIRE((up ? rd_kafka_mock_broker_set_up(cluster_, broker)
                : rd_kafka_mock_broker_set_down(cluster_, broker)) ==
            RD_KAFKA_RESP_ERR_NO_ERROR);
  }
}

std::string MockKafka::bootstraps() const {
  return rd_kafka_mock_cluster_bootstraps(cluster_);
}

std::vector<TopicMessage> ReadTopic(const std::string& bootstraps,
                                    const std::string& topic, int partitions,
                                    std::size_t count, int quiet_after_ms) {
  char error[256];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  REQUIRE(rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps.c_str(),
                            error, sizeof(error)) == RD_KAFKA_CONF_OK);
  REQUIRE(rd_kafka_conf_set(conf, "group.id", "relay-test", error,
                            sizeof(error)) == RD_KAFKA_CONF_OK);
  rd_kafka_t* consumer =
      rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof(error));
  REQUIRE(consumer != nullptr);
  rd_kafka_topic_partition_list_t* list =
      rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; ++p) {
    rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset =
        RD_KAFKA_OFFSET_BEGINNING;
  }
  REQUIRE(rd_kafka_assign(consumer, list) == RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_topic_partition_list_destroy(list);

  std::vector<TopicMessage> messages;
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  absl::Time last_message = absl::Now();
  while (messages.size() < count && absl::Now() < deadline) {
    if (quiet_after_ms > 0 &&
        absl::Now() - last_message > absl::Milliseconds(quiet_after_ms)) {
      break;
    }
    rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer, 100);
    if (message == nullptr) continue;
    if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      last_message = absl::Now();
      TopicMessage& out = messages.emplace_back();
      out.key.assign(static_cast<const char*>(message->key), message->key_len);
      out.value.assign(static_cast<const char*>(message->payload),
                       message->len);
      out.partition = message->partition;
      rd_kafka_headers_t* headers = nullptr;
      if (rd_kafka_message_headers(message, &headers) ==
          RD_KAFKA_RESP_ERR_NO_ERROR) {
        const char* name = nullptr;
        const void* value = nullptr;
        size_t size = 0;
        for (size_t i = 0;
             rd_kafka_header_get_all(headers, i, &name, &value, &size) ==
             RD_KAFKA_RESP_ERR_NO_ERROR;
             ++i) {
          out.headers[name].assign(static_cast<const char*>(value), size);
        }
      }
    }
    rd_kafka_message_destroy(message);
  }
  rd_kafka_consumer_close(consumer);
  rd_kafka_destroy(consumer);
  return messages;
}

}  // namespace evstore::testing
