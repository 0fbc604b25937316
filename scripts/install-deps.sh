#!/usr/bin/env bash
# Installs the Debian 12 packages evstore builds and tests with. Idempotent:
# does nothing when they are already installed. Needs root (or sudo).
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  librocksdb-dev libabsl-dev prometheus-cpp-dev catch2
  libsimdjson-dev libspdlog-dev libxxhash-dev libjemalloc-dev
  # OpenSSL: tokens and TLS file checks (libssl-dev); the TLS tests make
  # their certificates with the openssl command.
  libssl-dev openssl
  clang-format clang-tidy
  # promtool (`promtool check metrics`) for the metrics test; the package is
  # the whole Prometheus server (~95 MB installed), there is no smaller one.
  prometheus
  # Fuzzing (libFuzzer) and the sanitizer builds.
  clang libclang-rt-14-dev
)
# buf (proto lint) comes from the npm registry; use the machine's npm if it
# has one, Debian's otherwise.
if ! command -v npm >/dev/null 2>&1; then PACKAGES+=(npm); fi

"$(dirname "$0")/apt-install-missing.sh" "${PACKAGES[@]}"
