// Server reflection (grpc.reflection.v1alpha.ServerReflection): generic tools
// such as grpcurl list and describe the API of a real evstored, without a
// token.
//
// The test talks to the reflection service through a raw stream of bytes:
// Debian ships the reflection service (libgrpc++_reflection) but not its
// .proto, so the few messages used here are encoded and decoded by field
// number (grpc/reflection/v1alpha/reflection.proto).
#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/unknown_field_set.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/impl/rpc_method.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/sync_stream.h"
#include "tests/integration/evstored_process.h"

namespace evstore::testing {
namespace {

using google::protobuf::UnknownField;
using google::protobuf::UnknownFieldSet;

constexpr char kReflectionMethod[] =
    "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo";

// ServerReflectionRequest fields.
constexpr int kFileContainingSymbol = 4;
constexpr int kListServices = 7;
// ServerReflectionResponse fields.
constexpr int kFileDescriptorResponse = 4;
constexpr int kListServicesResponse = 6;
constexpr int kErrorResponse = 7;

// A ServerReflectionRequest with the one string field `field` set.
std::string ReflectionRequest(int field, const std::string& value) {
  UnknownFieldSet request;
  request.AddLengthDelimited(field, value);
  std::string bytes;
  REQUIRE(request.SerializeToString(&bytes));
  return bytes;
}

// Sends one request on a new reflection stream (no authorization metadata)
// and returns the response's bytes.
std::string AskReflection(const std::string& address,
                          const std::string& request) {
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  grpc::ClientContext context;
  const grpc::internal::RpcMethod method(
      kReflectionMethod, grpc::internal::RpcMethod::BIDI_STREAMING);
  std::unique_ptr<grpc::ClientReaderWriter<grpc::ByteBuffer, grpc::ByteBuffer>>
      stream(grpc::internal::ClientReaderWriterFactory<
             grpc::ByteBuffer, grpc::ByteBuffer>::Create(channel.get(), method,
                                                         &context));
  grpc::Slice slice(request);
  grpc::ByteBuffer out(&slice, 1);
  REQUIRE(stream->Write(out));
  REQUIRE(stream->WritesDone());
  grpc::ByteBuffer in;
  const bool got_response = stream->Read(&in);
  const grpc::Status status = stream->Finish();
  INFO("reflection call: " << status.error_code() << " "
                           << status.error_message());
  REQUIRE(status.ok());
  REQUIRE(got_response);
  std::vector<grpc::Slice> slices;
  REQUIRE(in.Dump(&slices).ok());
  std::string bytes;
  for (const grpc::Slice& part : slices) {
    bytes.append(reinterpret_cast<const char*>(part.begin()), part.size());
  }
  return bytes;
}

// The length-delimited fields numbered `number` of the encoded `message`.
std::vector<std::string> StringsOf(const std::string& message, int number) {
  UnknownFieldSet fields;
  REQUIRE(fields.ParseFromString(message));
  std::vector<std::string> values;
  for (int i = 0; i < fields.field_count(); ++i) {
    const UnknownField& field = fields.field(i);
    if (field.number() == number &&
        field.type() == UnknownField::TYPE_LENGTH_DELIMITED) {
      values.push_back(field.length_delimited());
    }
  }
  return values;
}

// The one sub-message numbered `number` of a response; fails the test when
// the server answered with an error_response instead.
std::string SubMessage(const std::string& response, int number) {
  INFO(
      "error_response present: " << StringsOf(response, kErrorResponse).size());
  const std::vector<std::string> found = StringsOf(response, number);
  REQUIRE(found.size() == 1);
  return found[0];
}

TEST_CASE("reflection lists the services without a token") {
  EvstoredProcess server;
  const std::string list = SubMessage(
      AskReflection(server.address(), ReflectionRequest(kListServices, "*")),
      kListServicesResponse);
  std::vector<std::string> names;
  for (const std::string& service : StringsOf(list, 1)) {
    // ServiceResponse { string name = 1 }
    const std::vector<std::string> name = StringsOf(service, 1);
    REQUIRE(name.size() == 1);
    names.push_back(name[0]);
  }
  using Catch::Matchers::VectorContains;
  CHECK_THAT(names,
             VectorContains(std::string("evstore.v1.EventStoreService")));
  CHECK_THAT(names, VectorContains(std::string("evstore.v1.AdminService")));
  CHECK_THAT(names, VectorContains(std::string("grpc.health.v1.Health")));
  CHECK_THAT(
      names,
      VectorContains(std::string("grpc.reflection.v1alpha.ServerReflection")));
}

TEST_CASE("reflection describes the methods of the event store service") {
  EvstoredProcess server;
  const std::string files = SubMessage(
      AskReflection(server.address(),
                    ReflectionRequest(kFileContainingSymbol,
                                      "evstore.v1.EventStoreService")),
      kFileDescriptorResponse);
  // FileDescriptorResponse { repeated bytes file_descriptor_proto = 1 }: the
  // file that defines the symbol, then its dependencies.
  const std::vector<std::string> protos = StringsOf(files, 1);
  REQUIRE_FALSE(protos.empty());
  google::protobuf::FileDescriptorProto file;
  REQUIRE(file.ParseFromString(protos[0]));
  CHECK(file.package() == "evstore.v1");
  std::vector<std::string> methods;
  for (const auto& service : file.service()) {
    if (service.name() != "EventStoreService") continue;
    for (const auto& method : service.method())
      methods.push_back(method.name());
  }
  using Catch::Matchers::VectorContains;
  CHECK_THAT(methods, VectorContains(std::string("Append")));
  CHECK_THAT(methods, VectorContains(std::string("AppendSession")));
  CHECK_THAT(methods, VectorContains(std::string("Subscribe")));
}

}  // namespace
}  // namespace evstore::testing
