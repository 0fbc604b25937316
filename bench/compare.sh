#!/usr/bin/env bash
# Side-by-side benchmark: evstore against Redis 7 Streams and PostgreSQL 15,
# each started here as a throwaway instance on 127.0.0.1 with durability
# equal to evstore's (fsync before the acknowledgement), running the same
# workloads with the same knobs and the same JSON output:
#
#   W1  single-event appends, 64 producers each waiting for its ack
#       (evstore over AppendSession and over unary Append)
#   W2  batched: 16 producers, 100 events of 256 B per append
#   W3  end-to-end latency: 5,000 events/s from 128 producers while 100 (and, unless --smoke,
#       1,000) live subscribers tail their customer's feed
# and, for evstore only (no peer runs):
#   W4  catch-up: one subscriber reads a 10,000,000-event feed from its start
#       (preloaded first with 8 x 1,000-event appends)
#   W5  growth: W2 on the empty store, then after filling it to 50,000,000
#       events, and the ratio (needs ~GROWTH_BYTES_PER_EVENT x events of disk)
#   W6  W3 with 100 live subscribers while 10,000 idle subscriptions are
#       connected; server RSS
#
# Just before W1, evstore-grpc-ceiling measures gRPC itself with empty
# handlers, driven like W1 (rows ceiling-unary and ceiling-bidi, system
# grpc-ceiling); the report shows W1 as a fraction of them.
#
# Every run gets a fresh server and data directory. Prints a Markdown table
# (events/s, p50/p99 latency, ratios evstore / peer) and writes a PNG chart
# with gnuplot. Needs scripts/install-bench-deps.sh's packages.
#
# Usage: bench/compare.sh [options]
#   --smoke            ~2 s per run, W3 with 100 subscribers only (for CI)
#   --duration S       measured seconds per run (default 10)
#   --warmup S         warm-up seconds per run (default 2)
#   --json-dir DIR     keep results.jsonl, compare.md, compare.png and logs
#                      here (default: a new directory under the data root)
#   --data-root DIR    where data directories go (default /var/tmp; must not
#                      be tmpfs)
#   --only SYSTEM      run only evstore, ceiling, redis or postgres
#                      (repeatable; evstore includes the ceiling rows)
#   --workloads LIST   run only these workloads, e.g. W4,W5,W6 (W3 covers
#                      every W3-N; default: all)
#   --catchup-events N W4's feed length (default 10000000; smoke 20000)
#   --growth-events N  W5's store size (default 50000000; smoke 500000: more
#                      than the empty-store run appends, so the fill runs)
#   --idle-subscriptions N  W6's idle subscriptions (default 10000; smoke 200)
#   --no-build         use the binaries already in ./build-bench
#   --build-dir DIR    use the binaries of this build instead (no build), e.g.
#                      ./build from scripts/build.sh (CI: no second build)
# Exit status: 0 when every run succeeded (no failed append, no missing
# delivery), 1 otherwise, 2 for bad usage or missing tools.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

SMOKE=0 DURATION=10 WARMUP=2 BUILD=1 OUT="" DATA_ROOT=/var/tmp ONLY=()
WORKLOAD_LIST="" CATCHUP_EVENTS="" GROWTH_EVENTS="" IDLE_SUBSCRIPTIONS=""
BUILD_DIR=$ROOT/build-bench
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) SMOKE=1 ;;
    --duration) DURATION=$2; shift ;;
    --warmup) WARMUP=$2; shift ;;
    --json-dir) OUT=$2; shift ;;
    --data-root) DATA_ROOT=$2; shift ;;
    --only) ONLY+=("$2"); shift ;;
    --workloads) WORKLOAD_LIST=$2; shift ;;
    --catchup-events) CATCHUP_EVENTS=$2; shift ;;
    --growth-events) GROWTH_EVENTS=$2; shift ;;
    --idle-subscriptions) IDLE_SUBSCRIPTIONS=$2; shift ;;
    --no-build) BUILD=0 ;;
    --build-dir) BUILD_DIR=$(cd "$2" && pwd); BUILD=0; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "compare.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
# wanted NAME: whether workload NAME (W1, W2, W3-100, W4, ...) is to run.
wanted() {
  [ -z "$WORKLOAD_LIST" ] && return 0
  local w
  for w in ${WORKLOAD_LIST//,/ }; do
    [ "$w" = "$1" ] || [ "$w" = "${1%%-*}" ] && return 0
  done
  return 1
}

selected() {
  [ ${#ONLY[@]} -eq 0 ] && return 0
  local o
  for o in "${ONLY[@]}"; do [ "$o" = "$1" ] && return 0; done
  return 1
}

SUBSCRIBER_COUNTS=(100 1000)
DEFAULT_CATCHUP=10000000 DEFAULT_GROWTH=50000000 DEFAULT_IDLE=10000 GROWTH_SETTLE=30
if [ "$SMOKE" -eq 1 ]; then
  DURATION=2 WARMUP=0.5 SUBSCRIBER_COUNTS=(100)
  DEFAULT_CATCHUP=20000 DEFAULT_GROWTH=500000 DEFAULT_IDLE=200 GROWTH_SETTLE=0
fi
CATCHUP_EVENTS=${CATCHUP_EVENTS:-$DEFAULT_CATCHUP}
GROWTH_EVENTS=${GROWTH_EVENTS:-$DEFAULT_GROWTH}
IDLE_SUBSCRIPTIONS=${IDLE_SUBSCRIPTIONS:-$DEFAULT_IDLE}
# Disk a W5 fill takes per event (RocksDB, 256-byte JSON events with random
# ids, measured: see BENCHMARKS.md), with room to spare.
GROWTH_BYTES_PER_EVENT=600

for tool in redis-server redis-cli jq gnuplot ss runuser "${PG_BIN:-/usr/lib/postgresql/15/bin}/initdb"; do
  if ! command -v "$tool" >/dev/null; then
    echo "compare.sh: $tool is missing; run scripts/install-bench-deps.sh" >&2
    exit 2
  fi
done
id postgres >/dev/null 2>&1 || {
  echo "compare.sh: no postgres user; run scripts/install-bench-deps.sh" >&2
  exit 2
}
[ "$(id -u)" -eq 0 ] || { echo "compare.sh: run as root (PostgreSQL runs as user postgres)" >&2; exit 2; }

if [ "$BUILD" -eq 1 ]; then
  cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DEVSTORE_BUILD_TESTS=OFF >/dev/null
  ninja -C build-bench evstored evstore-bench evstore-peer-bench \
    evstore-grpc-ceiling
fi
EVSTORED=$BUILD_DIR/server/evstored
BENCH=$BUILD_DIR/bench/evstore-bench
PEER_BENCH=$BUILD_DIR/bench/evstore-peer-bench
CEILING=$BUILD_DIR/bench/evstore-grpc-ceiling
NEEDED=("$EVSTORED" "$BENCH")
if selected redis || selected postgres; then NEEDED+=("$PEER_BENCH"); fi
if selected evstore || selected ceiling; then NEEDED+=("$CEILING"); fi
for f in "${NEEDED[@]}"; do
  [ -x "$f" ] || { echo "compare.sh: $f is missing (build first)" >&2; exit 2; }
done
. "$ROOT/bench/evstored_control.sh"
. "$ROOT/bench/ceiling_control.sh"
. "$ROOT/bench/peers/peer_control.sh"

# 1,000 subscribers need more than the usual 1,024 descriptors (servers and
# load generator inherit this).
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

mkdir -p "$DATA_ROOT"
FS_TYPE=$(findmnt -n -o FSTYPE -T "$DATA_ROOT" 2>/dev/null || stat -f -c %T "$DATA_ROOT")
if [ "$FS_TYPE" = "tmpfs" ] || [ "$FS_TYPE" = "ramfs" ]; then
  echo "compare.sh: $DATA_ROOT is $FS_TYPE; fsync there is free. Use --data-root on a real disk." >&2
  exit 2
fi
WORK=$(mktemp -d "$DATA_ROOT/evstore-compare.XXXXXX")
chmod 755 "$WORK"  # PostgreSQL's data directories go below, owned by postgres.
[ -n "$OUT" ] || OUT=$WORK/results
mkdir -p "$OUT"
RESULTS=$OUT/results.jsonl
: >"$RESULTS"

cleanup() {
  stop_evstored || true
  stop_ceiling || true
  stop_redis || true
  stop_postgres || true
  find "$WORK" -mindepth 1 -maxdepth 1 -name 'data-*' -exec rm -rf {} +
  rmdir "$WORK" 2>/dev/null || true  # Empty unless it holds the results.
}
trap cleanup EXIT

echo "compare: $(nproc) cores; ${DURATION} s measured after ${WARMUP} s warm-up per run; data root $DATA_ROOT ($FS_TYPE); load average now $(cut -d' ' -f1-3 /proc/loadavg)"
echo "results: $RESULTS"

# name | workload flags (the same for every system)
WORKLOADS=(
  "W1|--workload=single --producers=64"
  "W2|--workload=batched --producers=16 --batch=100"
)
for n in "${SUBSCRIBER_COUNTS[@]}"; do
  # 128 producers: the rate holds while acknowledgements take under 25 ms.
  WORKLOADS+=("W3-$n|--workload=latency --producers=128 --rate=5000 --subscribers=$n")
done
COMMON=(--event_bytes=256 --customers=10 --streams=1000
        --duration="$DURATION" --warmup="$WARMUP" --json)

FAILED=0
# record SYSTEM NAME STATUS JSON_LINE
record() {
  local system=$1 name=$2 status=$3 line=$4
  if [ "$status" -ne 0 ] || [ -z "$line" ]; then
    echo "compare.sh: $system $name failed (status $status)" >&2
    FAILED=1
    [ -n "$line" ] || return 0
  fi
  echo "$line" | jq -c --arg system "$system" --arg name "$name" \
    '. + {system: $system, name: $name}' >>"$RESULTS"
}

run_evstore() {
  local name=$1 flags=$2 status line
  local run=evstore-$name
  start_evstored "$EVSTORED" "$WORK/data-$run" "$OUT/$run.log" --durability=fsync
  status=0
  # shellcheck disable=SC2086
  line=$("$BENCH" --address="$EVSTORED_ADDRESS" --server_pid="$EVSTORED_PID" \
    --label="$run" "${COMMON[@]}" $flags 2>"$OUT/$run.table") || status=$?
  cat "$OUT/$run.table"
  stop_evstored || { echo "evstored did not stop cleanly: $OUT/$run.log" >&2; FAILED=1; }
  rm -rf "$WORK/data-$run"
  record evstore "$name" "$status" "$line"
}

# The gRPC ceiling: one server, a unary then a bidi run with W1's load
# (64 in flight; bidi over 8 streams, producers sending from the reply
# callback, as evstore-bench's session transport does by default).
run_ceiling() {
  local mode status line run
  start_ceiling "$CEILING" "$OUT/ceiling-server.log"
  for mode in unary bidi; do
    run=ceiling-$mode
    echo; echo "=== gRPC ceiling, empty $mode handler"
    status=0
    line=$("$CEILING" --address="$CEILING_ADDRESS" --server_pid="$CEILING_PID" \
      --mode="$mode" --bidi_api=callback --in_flight=64 --streams=8 \
      --payload_bytes=256 \
      --duration="$DURATION" --warmup="$WARMUP" --json --label="$run" \
      2>"$OUT/$run.table") || status=$?
    cat "$OUT/$run.table"
    record grpc-ceiling "$run" "$status" "$line"
  done
  stop_ceiling || { echo "the ceiling server did not stop cleanly: $OUT/ceiling-server.log" >&2; FAILED=1; }
}

# run_peer PEER NAME FLAGS SUBSCRIBERS [SYSTEM (default: PEER)]
run_peer() {
  local peer=$1 name=$2 flags=$3 subscribers=$4 system=${5:-$1} status line
  local address pid run=$system-$name
  if [ "$peer" = redis ]; then
    start_redis "$WORK/data-$run" "$OUT/$run.log"
    address=$REDIS_ADDRESS pid=$REDIS_PID
  else
    start_postgres "$WORK/data-$run" "$OUT/$run.log" $((subscribers + 200))
    address=$POSTGRES_ADDRESS pid=$POSTGRES_PID
  fi
  status=0
  # shellcheck disable=SC2086
  line=$("$PEER_BENCH" --peer="$peer" --address="$address" --server_pid="$pid" \
    --label="$run" "${COMMON[@]}" $flags 2>"$OUT/$run.table") || status=$?
  cat "$OUT/$run.table"
  if [ "$peer" = redis ]; then stop_redis; else stop_postgres; fi
  record "$system" "$name" "$status" "$line"
}

for entry in "${WORKLOADS[@]}"; do
  name=${entry%%|*}
  flags=${entry#*|}
  wanted "$name" || continue
  subscribers=0
  [[ "$flags" =~ --subscribers=([0-9]+) ]] && subscribers=${BASH_REMATCH[1]}
  if [ "$name" = W1 ] && { selected evstore || selected ceiling; }; then
    run_ceiling
  fi
  if selected evstore; then
    if [ "$name" = W1 ]; then
      echo; echo "=== evstore W1 over AppendSession"
      run_evstore W1 "$flags --transport=session --sessions=8"
      echo; echo "=== evstore W1 over unary Append"
      run_evstore W1-unary "$flags --transport=unary"
    else
      echo; echo "=== evstore $name"
      run_evstore "$name" "$flags --transport=session --sessions=8"
    fi
  fi
  for peer in redis postgres; do
    selected "$peer" || continue
    echo; echo "=== $peer $name"
    run_peer "$peer" "$name" "$flags" "$subscribers"
  done
  # PostgreSQL serializes commits that NOTIFY (fsync included); the variant
  # that notifies right after the commit shows what that costs.
  if [ "$subscribers" -gt 0 ] && selected postgres; then
    echo; echo "=== postgres $name, pg_notify after the commit"
    run_peer postgres "$name" "$flags --pg_notify=after-commit" "$subscribers" \
      postgres-notify-after-commit
  fi
done

# W4-W6: evstore only (the issue compares the peers on W1-W3).
if selected evstore && wanted W4; then
  echo; echo "=== evstore W4 catch-up of $CATCHUP_EVENTS events"
  run_evstore W4 "--workload=catchup --preload_events=$CATCHUP_EVENTS --load_producers=8 --load_batch=1000"
fi
if selected evstore && wanted W5; then
  echo; echo "=== evstore W5 growth to $GROWTH_EVENTS events"
  need_kib=$((GROWTH_EVENTS * GROWTH_BYTES_PER_EVENT / 1024))
  free_kib=$(df -Pk "$WORK" | awk 'NR == 2 { print $4 }')
  if [ "$free_kib" -lt "$need_kib" ]; then
    echo "compare.sh: W5 needs ~$((need_kib / 1048576)) GiB under $DATA_ROOT, $((free_kib / 1048576)) GiB free; skipped" >&2
    FAILED=1
  else
    run_evstore W5 "--workload=growth --producers=16 --batch=100 --growth_events=$GROWTH_EVENTS --growth_settle=$GROWTH_SETTLE --load_producers=8 --load_batch=1000 --server_data_dir=$WORK/data-evstore-W5"
  fi
fi
if selected evstore && wanted W6; then
  echo; echo "=== evstore W6: W3 with 100 subscribers and $IDLE_SUBSCRIPTIONS idle subscriptions"
  run_evstore W6 "--workload=idle_subscribers --producers=128 --rate=5000 --subscribers=100 --idle_subscriptions=$IDLE_SUBSCRIPTIONS --idle_connections=10 --idle_kind=quiet --transport=session --sessions=8"
fi

echo
"$ROOT/bench/compare_report.sh" "$RESULTS" "$OUT"
echo "(per-run JSON: $RESULTS; logs and tables: $OUT)"
if [ "$FAILED" -ne 0 ]; then
  echo "compare.sh: some runs failed (see above)" >&2
  exit 1
fi
