#!/usr/bin/env bash
# bench.ceiling_smoke: runs evstore-grpc-ceiling briefly against its own
# server (1 s per run: unary, bidi driven by callbacks and by futures, each
# with W1-shaped and with empty messages) and fails unless every run had
# calls in the window and no error, and the server stopped cleanly.
# Usage: bench/ceiling_smoke.sh EVSTORE_GRPC_CEILING
set -euo pipefail
if [ $# -ne 1 ]; then
  echo "usage: $0 EVSTORE_GRPC_CEILING" >&2
  exit 2
fi
CEILING=$1
# shellcheck source=bench/ceiling_control.sh
. "$(dirname "$0")/ceiling_control.sh"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/evstore-ceiling-smoke.XXXXXX")
cleanup() {
  stop_ceiling || true
  rm -rf "$WORK"
}
trap cleanup EXIT

start_ceiling "$CEILING" "$WORK/server.log"
echo "ceiling server at $CEILING_ADDRESS (pid $CEILING_PID)"
failed=0
for client in --mode=unary "--mode=bidi --bidi_api=callback" \
  "--mode=bidi --bidi_api=future"; do
  for payload in 256 0; do
    echo "== evstore-grpc-ceiling $client --payload_bytes=$payload"
    # shellcheck disable=SC2086
    line=$("$CEILING" --address="$CEILING_ADDRESS" --server_pid="$CEILING_PID" \
      $client --payload_bytes="$payload" --duration=1 --warmup=0.2 \
      --json) || failed=1
    echo "$line"
    if ! [[ "$line" =~ \"events\":[1-9] ]] || ! [[ "$line" =~ \"errors\":0, ]]; then
      echo "no calls in the window, or errors" >&2
      failed=1
    fi
  done
done
if ! stop_ceiling; then
  cat "$WORK/server.log" >&2
  failed=1
fi
if [ "$failed" -ne 0 ]; then
  echo "bench.ceiling_smoke: FAILED" >&2
  exit 1
fi
echo "bench.ceiling_smoke: passed"
