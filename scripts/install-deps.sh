#!/usr/bin/env bash
# Installs the Debian 12 packages evstore builds and tests with. Idempotent:
# does nothing when they are already installed. Needs root (or sudo).
# Usage: scripts/install-deps.sh [--build-only]
#   --build-only: only what compiling evstored and evstore needs (the
#   container image's build stage: no test, lint or fuzzing tools).
set -euo pipefail

BUILD_PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  librocksdb-dev libabsl-dev prometheus-cpp-dev
  libsimdjson-dev libspdlog-dev libxxhash-dev libjemalloc-dev
  # OpenSSL: tokens and TLS file checks.
  libssl-dev
  # evstore-relay: the Kafka / Event Hubs sink and the webhook sink.
  librdkafka-dev libcurl4-openssl-dev
)
PACKAGES=(
  "${BUILD_PACKAGES[@]}" git catch2
  # The TLS tests make their certificates with the openssl command.
  openssl
  clang-format clang-tidy
  # promtool (`promtool check metrics`) for the metrics test; the package is
  # the whole Prometheus server (~95 MB installed), there is no smaller one.
  prometheus
  # tests/deploy: PyYAML reads the rendered k8s/ manifests (kubectl itself
  # is not a Debian package: without it that test is skipped).
  python3-yaml
  # examples/python and its test (tests/python): gRPC and protobuf for
  # Python 3, xxhash for the partition hash (stubs come from protoc and
  # grpc_python_plugin, already above).
  python3-grpcio python3-protobuf python3-xxhash
  # Fuzzing (libFuzzer) and the sanitizer builds.
  clang libclang-rt-14-dev
)
# buf (proto lint) comes from the npm registry; use the machine's npm if it
# has one, Debian's otherwise.
if ! command -v npm >/dev/null 2>&1; then PACKAGES+=(npm); fi

case "${1:-}" in
  --build-only) PACKAGES=("${BUILD_PACKAGES[@]}") ;;
  "") ;;
  *) echo "usage: $0 [--build-only]" >&2; exit 2 ;;
esac

"$(dirname "$0")/apt-install-missing.sh" "${PACKAGES[@]}"
