// MockKafka: librdkafka's in-process mock cluster (rdkafka_mock.h) for the
// relay's Kafka tests, and ReadTopic, a consumer that reads a topic back.
#ifndef EVSTORE_TESTS_RELAY_MOCK_KAFKA_H_
#define EVSTORE_TESTS_RELAY_MOCK_KAFKA_H_

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace evstore::testing {

// A cluster of three mock brokers on 127.0.0.1 with one topic.
class MockKafka {
 public:
  MockKafka(const std::string& topic, int partitions);
  ~MockKafka();
  MockKafka(const MockKafka&) = delete;
  MockKafka& operator=(const MockKafka&) = delete;

  // The bootstrap.servers of the cluster.
  std::string bootstraps() const;
  rd_kafka_mock_cluster_t* cluster() const { return cluster_; }
  // Takes every broker down (false) or brings them back (true).
  void SetAllBrokers(bool up);

 private:
  rd_kafka_t* handle_ = nullptr;
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
};

// One message read back from a topic.
struct TopicMessage {
  std::string key;
  std::string value;
  int partition = 0;
  std::map<std::string, std::string> headers;
};

// Reads partitions 0..partitions-1 of `topic` from the beginning until
// `count` messages arrived or 60 s passed (then returns fewer), or, with
// `quiet_after` > 0 ms, until nothing arrived for that long.
std::vector<TopicMessage> ReadTopic(const std::string& bootstraps,
                                    const std::string& topic, int partitions,
                                    std::size_t count, int quiet_after_ms = 0);

}  // namespace evstore::testing

#endif  // EVSTORE_TESTS_RELAY_MOCK_KAFKA_H_
