#!/usr/bin/env bash
# Installs the Debian 12 packages evstore builds and tests with. Idempotent:
# does nothing when they are already installed. Needs root (or sudo).
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  librocksdb-dev libabsl-dev prometheus-cpp-dev catch2
  libsimdjson-dev libspdlog-dev libxxhash-dev libjemalloc-dev
  clang-format clang-tidy
  # Fuzzing (libFuzzer) and the sanitizer builds.
  clang libclang-rt-14-dev
)
# buf (proto lint) comes from the npm registry; use the machine's npm if it
# has one, Debian's otherwise.
if ! command -v npm >/dev/null 2>&1; then PACKAGES+=(npm); fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "installing: ${missing[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
