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

"$(dirname "$0")/apt-install-missing.sh" "${PACKAGES[@]}"
