#!/usr/bin/env bash
# Installs the Debian 12 packages the peer benchmarks need (bench/compare.sh):
# the Redis and PostgreSQL servers, their client libraries for
# evstore-peer-bench, gnuplot for the chart and jq for the JSON. Idempotent:
# does nothing when they are already installed. Needs root (or sudo).
# The packages' own service instances are not used: bench/peers/start_*.sh
# start throwaway instances on free ports.
set -euo pipefail

PACKAGES=(
  redis-server postgresql-15 libhiredis-dev libpq-dev gnuplot-nox jq
)

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
