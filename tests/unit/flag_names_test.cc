// Flag names with dashes or underscores (base/flag_names.h).
#include "base/flag_names.h"

#include <catch2/catch.hpp>

namespace evstore {
namespace {

TEST_CASE("flag names with dashes become underscores") {
  CHECK(CanonicalFlagName("tls-client-ca") == "tls_client_ca");
  CHECK(CanonicalFlagName("data_dir") == "data_dir");
  CHECK(SameFlagName("allow-insecure", "allow_insecure"));
  CHECK(SameFlagName("max_count", "max-count"));
  CHECK_FALSE(SameFlagName("tls-cert", "tls_certs"));
  CHECK_FALSE(SameFlagName("tls-ca", "tls_cert"));
}

TEST_CASE("only the name of a flag argument changes and never its value") {
  CHECK(CanonicalFlagArgument("--tls-cert=/etc/my-certs/a-b.pem") ==
        "--tls_cert=/etc/my-certs/a-b.pem");
  CHECK(CanonicalFlagArgument("--allow-insecure") == "--allow_insecure");
  CHECK(CanonicalFlagArgument("-allow-insecure") == "-allow_insecure");
  CHECK(CanonicalFlagArgument("--listen=[::1]:0") == "--listen=[::1]:0");
  CHECK(CanonicalFlagArgument("--data_dir=-x-") == "--data_dir=-x-");
}

TEST_CASE("arguments that are not flags are returned unchanged") {
  CHECK(CanonicalFlagArgument("--") == "--");
  CHECK(CanonicalFlagArgument("-") == "-");
  CHECK(CanonicalFlagArgument("").empty());
  CHECK(CanonicalFlagArgument("my-file.pem") == "my-file.pem");
  CHECK(CanonicalFlagArgument("--=a-b") == "--=a-b");
}

}  // namespace
}  // namespace evstore
