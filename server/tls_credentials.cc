#include "server/tls_credentials.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "grpcpp/security/server_credentials.h"

namespace evstore::server {
namespace {

struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Deleter {
  void operator()(X509* certificate) const { X509_free(certificate); }
};
struct KeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;
using X509Ptr = std::unique_ptr<X509, X509Deleter>;
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyDeleter>;

// A PEM file named by a flag, for error messages.
struct PemFile {
  absl::string_view flag;
  std::string path;
  std::string contents;

  absl::Status Error(absl::string_view problem) const {
    return absl::FailedPreconditionError(
        absl::StrCat("--", flag, ": file \"", path, "\" ", problem));
  }
};

absl::StatusOr<PemFile> ReadPemFile(absl::string_view flag,
                                    const std::string& path) {
  PemFile file{.flag = flag, .path = path, .contents = {}};
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return file.Error(absl::StrCat("cannot be opened: ", std::strerror(errno)));
  }
  std::stringstream contents;
  contents << in.rdbuf();
  if (in.bad()) return file.Error("cannot be read");
  file.contents = std::move(contents).str();
  return file;
}

// Never asks for a passphrase (OpenSSL would prompt on the terminal): an
// encrypted key fails to load.
int NoPassphrase(char* /*buffer*/, int /*size*/, int /*rwflag*/,
                 void* /*userdata*/) {
  return -1;
}

BioPtr MemoryBio(const std::string& contents) {
  return BioPtr(
      BIO_new_mem_buf(contents.data(), static_cast<int>(contents.size())));
}

// The first certificate of `file`; fails when it holds none.
absl::StatusOr<X509Ptr> FirstCertificate(const PemFile& file) {
  BioPtr bio = MemoryBio(file.contents);
  X509Ptr certificate(
      PEM_read_bio_X509(bio.get(), nullptr, NoPassphrase, nullptr));
  ERR_clear_error();
  if (certificate == nullptr) {
    return file.Error("holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
  }
  return certificate;
}

absl::StatusOr<KeyPtr> PrivateKey(const PemFile& file) {
  BioPtr bio = MemoryBio(file.contents);
  KeyPtr key(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr));
  ERR_clear_error();
  if (key == nullptr) {
    return file.Error(
        "holds no unencrypted PEM private key (-----BEGIN PRIVATE KEY-----)");
  }
  return key;
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const ServerConfig& config) {
  if (!config.UsesTls()) return grpc::InsecureServerCredentials();

  absl::StatusOr<PemFile> cert = ReadPemFile("tls_cert", config.tls_cert_file);
  if (!cert.ok()) return cert.status();
  absl::StatusOr<PemFile> key = ReadPemFile("tls_key", config.tls_key_file);
  if (!key.ok()) return key.status();
  absl::StatusOr<X509Ptr> leaf = FirstCertificate(*cert);
  if (!leaf.ok()) return leaf.status();
  absl::StatusOr<KeyPtr> private_key = PrivateKey(*key);
  if (!private_key.ok()) return private_key.status();
  if (X509_check_private_key(leaf->get(), private_key->get()) != 1) {
    ERR_clear_error();
    return key->Error(
        absl::StrCat("does not hold the private key of the "
                     "certificate in --tls_cert file \"",
                     cert->path, "\""));
  }

  grpc::SslServerCredentialsOptions options;
  options.pem_key_cert_pairs.push_back(
      {.private_key = key->contents, .cert_chain = cert->contents});
  if (!config.tls_client_ca_file.empty()) {
    absl::StatusOr<PemFile> client_ca =
        ReadPemFile("tls_client_ca", config.tls_client_ca_file);
    if (!client_ca.ok()) return client_ca.status();
    if (absl::Status status = FirstCertificate(*client_ca).status();
        !status.ok()) {
      return status;
    }
    options.pem_root_certs = client_ca->contents;
    options.client_certificate_request =
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(options);
}

}  // namespace evstore::server
