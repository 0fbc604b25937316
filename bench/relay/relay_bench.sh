#!/usr/bin/env bash
# Runs evstore-relay-bench against a fresh evstored (fsync durability, data
# on the real disk) and stops the server afterwards.
# Usage: bench/relay/relay_bench.sh [BUILD_DIR] [evstore-relay-bench flags...]
#   BUILD_DIR defaults to ./build (configured with the tests: the bench uses
#   their HTTP receiver); data under ${DATA_ROOT:-/var/tmp}.
# Example (BENCHMARKS.md, "Relay"):
#   bench/relay/relay_bench.sh build --events=20000 --concurrency=1,4,16
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=build
if [ $# -gt 0 ] && [ -d "$1" ]; then
  BUILD=$1
  shift
fi
# shellcheck source=bench/evstored_control.sh disable=SC1091
. bench/evstored_control.sh

WORK=$(mktemp -d "${DATA_ROOT:-/var/tmp}/evstore-relay-bench.XXXXXX")
cleanup() {
  stop_evstored || true
  rm -rf "$WORK"
}
trap cleanup EXIT

start_evstored "$BUILD/server/evstored" "$WORK/data" "$WORK/evstored.log" \
  --metrics_address=
echo "evstored at $EVSTORED_ADDRESS (pid $EVSTORED_PID)"
"$BUILD/bench/relay/evstore-relay-bench" --address="$EVSTORED_ADDRESS" "$@"
