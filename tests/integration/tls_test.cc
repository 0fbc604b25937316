// TLS and mutual TLS end to end: certificates made by `openssl` in a
// temporary directory, a real evstored, the C++ client and the evstore CLI;
// and evstored's refusal to start with bad TLS files or with plaintext on a
// non-loopback address.
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "tests/integration/evstored_process.h"
#include "tests/integration/run_process.h"
#include "tests/integration/test_events.h"

namespace evstore::testing {
namespace {

using Catch::Matchers::Contains;

// The openssl command on PATH (Debian package `openssl`).
std::string OpensslPath() {
  const char* path = std::getenv("PATH");
  std::string directories = path == nullptr ? "/usr/bin:/bin" : path;
  size_t start = 0;
  while (start <= directories.size()) {
    size_t end = directories.find(':', start);
    if (end == std::string::npos) end = directories.size();
    std::string candidate = directories.substr(start, end - start) + "/openssl";
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  FAIL(
      "openssl not found on PATH: install the openssl package "
      "(scripts/install-deps.sh)");
  return {};
}

// A certificate (or CA certificate) and its private key, as PEM files.
struct CertificateFiles {
  std::string cert;
  std::string key;
};

// Two independent CAs (`ca` and `other_ca`), a server certificate for
// 127.0.0.1 and localhost signed by `ca`, a client certificate signed by
// `ca` and one signed by `other_ca`; all EC P-256, valid for two days, in a
// temporary directory removed with the object.
class TestCertificates {
 public:
  TestCertificates() {
    char dir_template[] = "/tmp/evstore-tls-XXXXXX";
    REQUIRE(mkdtemp(dir_template) != nullptr);
    dir_ = dir_template;
    ca = MakeCa("evstore-test-ca");
    other_ca = MakeCa("evstore-other-ca");
    server = MakeSigned("server", ca,
                        "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                        "extendedKeyUsage=serverAuth\n"
                        "basicConstraints=CA:FALSE\n");
    client = MakeSigned("client", ca,
                        "extendedKeyUsage=clientAuth\n"
                        "basicConstraints=CA:FALSE\n");
    other_client = MakeSigned("other-client", other_ca,
                              "extendedKeyUsage=clientAuth\n"
                              "basicConstraints=CA:FALSE\n");
    garbage = WriteFile("garbage.pem", "this is not a certificate\n");
  }
  ~TestCertificates() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  TestCertificates(const TestCertificates&) = delete;
  TestCertificates& operator=(const TestCertificates&) = delete;

  const std::string& dir() const { return dir_; }

  CertificateFiles ca;
  CertificateFiles other_ca;
  CertificateFiles server;
  CertificateFiles client;
  CertificateFiles other_client;
  std::string garbage;

 private:
  void Openssl(std::vector<std::string> args) {
    args.insert(args.begin(), OpensslPath());
    const ProcessResult result = RunProcess(args);
    INFO("openssl " << args[1] << " failed: " << result.err);
    REQUIRE(result.exit_code == 0);
  }

  std::string WriteFile(const std::string& name, const std::string& text) {
    std::string path = dir_ + "/" + name;
    std::ofstream out(path);
    out << text;
    out.close();
    REQUIRE(out);
    return path;
  }

  CertificateFiles MakeCa(const std::string& name) {
    CertificateFiles files{dir_ + "/" + name + ".pem",
                           dir_ + "/" + name + ".key"};
    Openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", files.key,
             "-out", files.cert, "-days", "2", "-subj", "/CN=" + name,
             "-addext", "basicConstraints=critical,CA:TRUE", "-addext",
             "keyUsage=critical,keyCertSign,cRLSign"});
    return files;
  }

  CertificateFiles MakeSigned(const std::string& name,
                              const CertificateFiles& issuer,
                              const std::string& extensions) {
    CertificateFiles files{dir_ + "/" + name + ".pem",
                           dir_ + "/" + name + ".key"};
    const std::string request = dir_ + "/" + name + ".csr";
    Openssl({"req", "-new", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", files.key,
             "-out", request, "-subj", "/CN=" + name});
    Openssl({"x509", "-req", "-in", request, "-CA", issuer.cert, "-CAkey",
             issuer.key, "-set_serial", std::to_string(++serial_), "-days", "2",
             "-out", files.cert, "-extfile",
             WriteFile(name + ".ext", extensions)});
    return files;
  }

  std::string dir_;
  int serial_ = 1;
};

client::ClientTlsOptions TrustingCa(const CertificateFiles& ca) {
  return {.ca_file = ca.cert};
}

client::ClientTlsOptions WithClientCertificate(const CertificateFiles& ca,
                                               const CertificateFiles& client) {
  return {.ca_file = ca.cert, .cert_file = client.cert, .key_file = client.key};
}

EvstoredProcessOptions TlsServer(const TestCertificates& certs) {
  EvstoredProcessOptions options;
  options.tls_cert_file = certs.server.cert;
  options.tls_key_file = certs.server.key;
  options.client_tls = TrustingCa(certs.ca);
  return options;
}

EvstoredProcessOptions MtlsServer(const TestCertificates& certs) {
  EvstoredProcessOptions options = TlsServer(certs);
  options.tls_client_ca_file = certs.ca.cert;
  options.client_tls = WithClientCertificate(certs.ca, certs.client);
  return options;
}

// Appends one event with `client`; the call's status.
absl::Status TryAppend(const client::Client& client) {
  return client.Append(SingleWrite(kOrsted, kNominations, 1, 1, 1)).status();
}

// Requires that `refused` cannot append (UNAVAILABLE: no connection) and
// that nothing of its append reached the feed, checked with the server's
// own (trusted) client, which appends one event first.
void RequireRefused(const EvstoredProcess& server,
                    const client::Client& refused) {
  auto trusted = server.Connect();
  MustAppend(*trusted, SingleWrite(kOrsted, kNominations, 1, 1, 1));
  const absl::Status status =
      refused.Append(SingleWrite(kOrsted, kNominations, 1, 2, 1)).status();
  INFO("append: " << status);
  CHECK(status.code() == absl::StatusCode::kUnavailable);
  CHECK(PositionsOf(ReadFeed(*trusted, kOrsted)) == Sequence(1, 1));
}

TEST_CASE("over TLS append and read and subscribe work") {
  const TestCertificates certs;
  EvstoredProcess server(TlsServer(certs));
  CHECK_THAT(server.LogText(), Contains("(TLS,"));
  auto client = server.Connect();

  v1::SubscribeRequest subscribe;
  subscribe.set_customer(kOrsted);
  std::unique_ptr<client::Subscription> subscription =
      client->Subscribe(subscribe);
  MustAppend(*client, SingleWrite(kOrsted, kNominations, 1, 1, 3));
  CHECK(PositionsOf(ReadFeed(*client, kOrsted)) == Sequence(1, 3));

  std::vector<uint64_t> delivered;
  while (delivered.size() < 3) {
    absl::StatusOr<v1::SubscribeResponse> message =
        subscription->Next(absl::Seconds(20));
    INFO("subscription: " << message.status());
    REQUIRE(message.ok());
    for (const v1::RecordedEvent& event : message->events().events()) {
      delivered.push_back(event.position());
    }
  }
  CHECK(delivered == Sequence(1, 3));
}

TEST_CASE("a plaintext client gets UNAVAILABLE from a TLS server") {
  const TestCertificates certs;
  EvstoredProcess server(TlsServer(certs));
  RequireRefused(server, *server.Connect(std::nullopt));
}

TEST_CASE("a TLS client that trusts another CA gets UNAVAILABLE") {
  const TestCertificates certs;
  EvstoredProcess server(TlsServer(certs));
  RequireRefused(server, *server.Connect(TrustingCa(certs.other_ca)));
}

TEST_CASE("mTLS refuses a client without a certificate") {
  const TestCertificates certs;
  EvstoredProcess server(MtlsServer(certs));
  CHECK_THAT(server.LogText(), Contains("(mTLS)"));
  RequireRefused(server, *server.Connect(TrustingCa(certs.ca)));
}

TEST_CASE("mTLS refuses a client certificate signed by another CA") {
  const TestCertificates certs;
  EvstoredProcess server(MtlsServer(certs));
  RequireRefused(server, *server.Connect(WithClientCertificate(
                             certs.ca, certs.other_client)));
}

TEST_CASE("mTLS accepts a client certificate signed by the client CA") {
  const TestCertificates certs;
  EvstoredProcess server(MtlsServer(certs));
  auto client = server.Connect();
  REQUIRE(TryAppend(*client).ok());
  CHECK(PositionsOf(ReadFeed(*client, kOrsted)) == Sequence(1, 1));
}

// `evstore --address <server> --customer orsted-dk --token <admin> args...`
ProcessResult RunCli(const EvstoredProcess& server,
                     std::vector<std::string> args,
                     const std::vector<std::string>& environment = {}) {
  args.insert(args.begin(),
              {EvstoreCliPath(), "--address", server.address(), "--customer",
               kOrsted, "--token", server.AdminToken()});
  return RunProcess(args, environment);
}

// Appends one event with the CLI and reads the feed back with it; checks
// that the event arrived (through the C++ client as well).
void RequireCliAppendAndRead(const EvstoredProcess& server,
                             const std::vector<std::string>& tls_flags,
                             const std::vector<std::string>& environment) {
  std::vector<std::string> append = tls_flags;
  append.insert(append.end(), {"append", "--stream", kNominations, "--type",
                               kNominationResponse, "--id", TestUuid(7, 1),
                               NominationJson(1)});
  const ProcessResult appended = RunCli(server, append, environment);
  INFO("append stderr: " << appended.err);
  REQUIRE(appended.exit_code == 0);

  std::vector<std::string> read = tls_flags;
  read.emplace_back("read");
  const ProcessResult result = RunCli(server, read, environment);
  INFO("read stderr: " << result.err);
  REQUIRE(result.exit_code == 0);
  CHECK_THAT(result.out, Contains(TestUuid(7, 1)));
  CHECK(IdsOf(ReadFeed(*server.Connect(), kOrsted)) ==
        std::vector<std::string>{TestUuid(7, 1)});
}

TEST_CASE("the CLI appends and reads over TLS") {
  const TestCertificates certs;
  EvstoredProcess server(TlsServer(certs));
  RequireCliAppendAndRead(server, {"--tls_ca", certs.ca.cert}, {});

  // Without TLS flags the CLI speaks plaintext and fails.
  const ProcessResult plaintext = RunCli(server, {"read"});
  CHECK(plaintext.exit_code == 5);  // Unavailable.
  CHECK_THAT(plaintext.err, Contains("UNAVAILABLE"));
}

TEST_CASE("the CLI appends and reads over mTLS with dash-spelled flags") {
  const TestCertificates certs;
  EvstoredProcess server(MtlsServer(certs));
  RequireCliAppendAndRead(server,
                          {"--tls-ca", certs.ca.cert, "--tls-cert",
                           certs.client.cert, "--tls-key=" + certs.client.key},
                          {});

  // The admin commands (AdminService) use the same TLS options.
  const ProcessResult customers = RunCli(
      server, {"--tls-ca", certs.ca.cert, "--tls-cert", certs.client.cert,
               "--tls-key", certs.client.key, "customer", "list"});
  INFO("customer list stderr: " << customers.err);
  CHECK(customers.exit_code == 0);
  CHECK_THAT(customers.out, Contains(kOrsted));

  // Without the client certificate the server refuses the CLI.
  const ProcessResult without_cert =
      RunCli(server, {"--tls-ca", certs.ca.cert, "read"});
  CHECK(without_cert.exit_code == 5);  // Unavailable.
  CHECK_THAT(without_cert.err, Contains("UNAVAILABLE"));
}

TEST_CASE("the CLI takes its TLS files from EVSTORE_TLS variables") {
  const TestCertificates certs;
  EvstoredProcess server(MtlsServer(certs));
  RequireCliAppendAndRead(server, {},
                          {"EVSTORE_TLS_CA=" + certs.ca.cert,
                           "EVSTORE_TLS_CLIENT_CERT=" + certs.client.cert,
                           "EVSTORE_TLS_CLIENT_KEY=" + certs.client.key});
}

// Runs evstored with `flags` on a fresh data directory inside `certs`.
ProcessResult RunEvstored(const TestCertificates& certs,
                          const std::vector<std::string>& flags) {
  std::vector<std::string> argv = {EvstoredPath(),
                                   "--data_dir=" + certs.dir() + "/data",
                                   "--listen=127.0.0.1:0"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  return RunProcess(argv);
}

TEST_CASE("evstored refuses to start with a bad TLS file and names it") {
  const TestCertificates certs;
  const std::string missing = certs.dir() + "/missing.pem";
  struct Case {
    std::string what;
    std::vector<std::string> flags;
    std::string named_file;
    std::string problem;
  };
  const std::vector<Case> cases = {
      {"missing certificate",
       {"--tls_cert=" + missing, "--tls_key=" + certs.server.key},
       missing,
       "cannot be opened"},
      {"garbage certificate",
       {"--tls_cert=" + certs.garbage, "--tls_key=" + certs.server.key},
       certs.garbage,
       "holds no PEM certificate"},
      {"missing key",
       {"--tls_cert=" + certs.server.cert, "--tls_key=" + missing},
       missing,
       "cannot be opened"},
      {"garbage key",
       {"--tls_cert=" + certs.server.cert, "--tls_key=" + certs.garbage},
       certs.garbage,
       "holds no unencrypted PEM private key"},
      {"key of another certificate",
       {"--tls_cert=" + certs.server.cert, "--tls_key=" + certs.client.key},
       certs.client.key,
       "does not hold the private key"},
      {"garbage client CA",
       {"--tls_cert=" + certs.server.cert, "--tls_key=" + certs.server.key,
        "--tls_client_ca=" + certs.garbage},
       certs.garbage,
       "holds no PEM certificate"},
      {"missing client CA",
       {"--tls_cert=" + certs.server.cert, "--tls_key=" + certs.server.key,
        "--tls_client_ca=" + missing},
       missing,
       "cannot be opened"},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    const ProcessResult result = RunEvstored(certs, c.flags);
    INFO("stderr: " << result.err);
    CHECK(result.exit_code == 1);
    CHECK_THAT(result.err, Contains("evstored: --tls_") &&
                               Contains("\"" + c.named_file + "\"") &&
                               Contains(c.problem));
    // Checked before the data directory is touched.
    CHECK_FALSE(std::filesystem::exists(certs.dir() + "/data"));
  }
}

TEST_CASE("evstored refuses TLS flags that do not go together") {
  const TestCertificates certs;
  ProcessResult result =
      RunEvstored(certs, {"--tls_cert=" + certs.server.cert});
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.err, Contains("--tls_cert is set but --tls_key is not"));

  result = RunEvstored(certs, {"--tls_key=" + certs.server.key});
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.err, Contains("--tls_key is set but --tls_cert is not"));

  result = RunEvstored(certs, {"--tls_client_ca=" + certs.ca.cert});
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.err,
             Contains("--tls_client_ca needs --tls_cert and --tls_key"));
}

TEST_CASE("evstored refuses plaintext on a non-loopback address") {
  const TestCertificates certs;
  for (const std::string listen : {"0.0.0.0:0", "[::]:0"}) {
    INFO(listen);
    const ProcessResult result = RunEvstored(certs, {"--listen=" + listen});
    INFO("stderr: " << result.err);
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.err, Contains("is not a loopback address") &&
                               Contains("--allow_insecure") &&
                               Contains("--tls_cert"));
  }
}

TEST_CASE(
    "evstored with --allow-insecure serves plaintext on 0.0.0.0 with a "
    "warning") {
  EvstoredProcess server(
      std::vector<std::string>{"--listen=0.0.0.0:0", "--allow-insecure"});
  CHECK_THAT(server.LogText(),
             Contains("INSECURE") && Contains("PLAINTEXT on the non-loopback "
                                              "address 0.0.0.0:0"));
  REQUIRE(TryAppend(*server.Connect()).ok());
}

TEST_CASE("evstored serves TLS on 0.0.0.0 without --allow_insecure") {
  const TestCertificates certs;
  EvstoredProcessOptions options = TlsServer(certs);
  options.extra_flags = {"--listen=0.0.0.0:0"};
  EvstoredProcess server(std::move(options));
  CHECK_THAT(server.LogText(), !Contains("INSECURE"));
  REQUIRE(TryAppend(*server.Connect()).ok());
}

TEST_CASE("dash-spelled TLS flags configure mTLS in evstored") {
  const TestCertificates certs;
  EvstoredProcessOptions options;
  options.extra_flags = {"--tls-cert=" + certs.server.cert, "--tls-key",
                         certs.server.key, "--tls-client-ca", certs.ca.cert};
  options.client_tls = WithClientCertificate(certs.ca, certs.client);
  EvstoredProcess server(std::move(options));
  REQUIRE(TryAppend(*server.Connect()).ok());
  const absl::Status without_cert =
      TryAppend(*server.Connect(TrustingCa(certs.ca)));
  CHECK(without_cert.code() == absl::StatusCode::kUnavailable);
}

TEST_CASE("EVSTORE_TLS variables configure TLS in evstored") {
  const TestCertificates certs;
  EvstoredProcessOptions options;
  options.environment = {"EVSTORE_TLS_CERT=" + certs.server.cert,
                         "EVSTORE_TLS_KEY=" + certs.server.key};
  options.client_tls = TrustingCa(certs.ca);
  EvstoredProcess server(std::move(options));
  REQUIRE(TryAppend(*server.Connect()).ok());
  CHECK(TryAppend(*server.Connect(std::nullopt)).code() ==
        absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace evstore::testing
