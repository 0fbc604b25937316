#include "storage/names.h"

#include <catch2/catch.hpp>

#include "storage/event_id.h"

using namespace evstore;

TEST_CASE("customer names follow the documented rules") {
  REQUIRE(ValidateCustomerName("orsted-dk").ok());
  REQUIRE(ValidateCustomerName("gasum_2.test").ok());
  REQUIRE(ValidateCustomerName(std::string(64, 'a')).ok());
  REQUIRE_FALSE(ValidateCustomerName("").ok());
  REQUIRE_FALSE(ValidateCustomerName(std::string(65, 'a')).ok());
  REQUIRE_FALSE(ValidateCustomerName("Orsted").ok());
  REQUIRE_FALSE(ValidateCustomerName("a b").ok());
  REQUIRE_FALSE(ValidateCustomerName("a/b").ok());
  auto s = ValidateCustomerName("bad!", "writes.customer");
  REQUIRE(s.code() == absl::StatusCode::kInvalidArgument);
  REQUIRE(std::string(s.message()).find("writes.customer") == 0);
}

TEST_CASE("customer name errors quote the name escaped") {
  // Regression (found by fuzzing): the error quoted the name's raw bytes, so
  // a request could put control characters (newlines, terminal escapes) into
  // a status message, which reaches logs and clients.
  auto s = ValidateCustomerName("evil\n\x1b[31m\x03");
  REQUIRE(s.code() == absl::StatusCode::kInvalidArgument);
  const std::string message(s.message());
  REQUIRE(message.find("evil\\n\\x1b[31m\\x03") != std::string::npos);
  for (char c : message) REQUIRE((c >= 0x20 && c < 0x7f));
}

TEST_CASE("stream names are 1-256 bytes of UTF-8 without control characters") {
  REQUIRE(ValidateStreamName("contract/DS000068/nominations").ok());
  REQUIRE(ValidateStreamName("Kontrakt/Ørsted/Übersicht").ok());
  REQUIRE(ValidateStreamName(std::string(256, 's')).ok());
  REQUIRE_FALSE(ValidateStreamName("").ok());
  REQUIRE_FALSE(ValidateStreamName(std::string(257, 's')).ok());
  REQUIRE_FALSE(ValidateStreamName(std::string("a\0b", 3)).ok());
  REQUIRE_FALSE(ValidateStreamName("tab\there").ok());
  REQUIRE_FALSE(ValidateStreamName("\x7f").ok());
  REQUIRE_FALSE(ValidateStreamName("\xc2\x85").ok());  // U+0085 (NEL)
  REQUIRE_FALSE(ValidateStreamName("\xff\xfe").ok());
  REQUIRE_FALSE(ValidateStreamName("\xc0\xaf").ok());      // overlong '/'
  REQUIRE_FALSE(ValidateStreamName("\xed\xa0\x80").ok());  // surrogate
  REQUIRE_FALSE(ValidateStreamName("\xe2\x82").ok());      // truncated
}

TEST_CASE("event ids parse the canonical UUID form only") {
  auto id = EventId::Parse("0F8FAD5B-D9CB-469F-A165-70867728950E");
  REQUIRE(id);
  REQUIRE(id->ToString() == "0f8fad5b-d9cb-469f-a165-70867728950e");
  REQUIRE_FALSE(EventId::Parse("0f8fad5bd9cb469fa16570867728950e"));
  REQUIRE_FALSE(EventId::Parse("0f8fad5b-d9cb-469f-a165-70867728950"));
  REQUIRE_FALSE(EventId::Parse("0f8fad5b-d9cb-469f-a165-70867728950g"));
  REQUIRE_FALSE(EventId::Parse("0f8fad5b+d9cb-469f-a165-70867728950e"));
  REQUIRE_FALSE(EventId::Parse("00000000-0000-0000-0000-000000000000"));
}

TEST_CASE("free text may be empty but not too long or unprintable") {
  REQUIRE(ValidateFreeText("", "description", 8).ok());
  REQUIRE(ValidateFreeText("bybjerg ✓", "description", 16).ok());
  REQUIRE(ValidateFreeText("12345678", "description", 8).ok());
  auto long_text = ValidateFreeText("123456789", "description", 8);
  REQUIRE(long_text.code() == absl::StatusCode::kInvalidArgument);
  REQUIRE(std::string(long_text.message()).find("description") == 0);
  REQUIRE_FALSE(ValidateFreeText("a\nb", "description", 8).ok());
  REQUIRE_FALSE(ValidateFreeText("\xff", "description", 8).ok());
}
