#!/usr/bin/env bash
# The evstore benchmark (see BENCHMARKS.md): builds evstored and evstore-bench
# (Release, into ./build-bench), then for each workload starts a fresh
# evstored (durability fsync, the default) on a new data directory on the real
# disk, runs evstore-bench against it, stops the server, and finally prints a
# summary table against the targets.
#
# Workloads: batched (16 producers x 100 events x 256 B, unary Append),
# single over AppendSession (64 producers, 8 sessions), single over unary
# Append (64 producers).
#
# Usage: scripts/bench.sh [options]
#   --smoke            ~2 s per workload, one repetition (for CI)
#   --repeat N         repetitions of every workload (default 1); the summary
#                      shows the median run (by events/s) and the range
#   --duration S       measured seconds per run (default 10)
#   --warmup S         warm-up seconds per run (default 2)
#   --only NAME        run only this workload: batched, single-session or
#                      single-unary (may be repeated)
#   --data-root DIR    where data directories go (default /var/tmp; must not
#                      be tmpfs: fsync there costs nothing)
#   --out DIR          keep results (results.jsonl, logs, perf data) here
#                      (default: a new directory under the data root)
#   --perf             record `perf record -g` of evstored during each
#                      measured window and print its top symbols
#   --bench-arg ARG    pass ARG to every evstore-bench run (repeatable),
#                      e.g. --bench-arg=--ids=time-ordered
#   --server-env V=X   put V=X in evstored's environment (repeatable), e.g.
#                      --server-env LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2
#   --no-build         use the binaries already in ./build-bench
#   --keep-data        keep the data directories
# Exit status: 0 when every append of every run succeeded, 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

SMOKE=0 REPEAT=1 DURATION=10 WARMUP=2 PERF=0 BUILD=1 KEEP_DATA=0
DATA_ROOT=/var/tmp OUT="" ONLY=() BENCH_ARGS=() SERVER_ENV=()
while [ $# -gt 0 ]; do
  case "$1" in
    --bench-arg) BENCH_ARGS+=("$2"); shift ;;
    --bench-arg=*) BENCH_ARGS+=("${1#--bench-arg=}") ;;
    --server-env) SERVER_ENV+=("$2"); shift ;;
    --server-env=*) SERVER_ENV+=("${1#--server-env=}") ;;
    --smoke) SMOKE=1 ;;
    --repeat) REPEAT=$2; shift ;;
    --duration) DURATION=$2; shift ;;
    --warmup) WARMUP=$2; shift ;;
    --only) ONLY+=("$2"); shift ;;
    --data-root) DATA_ROOT=$2; shift ;;
    --out) OUT=$2; shift ;;
    --perf) PERF=1 ;;
    --no-build) BUILD=0 ;;
    --keep-data) KEEP_DATA=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
if [ "$SMOKE" -eq 1 ]; then
  DURATION=2 WARMUP=0.5 REPEAT=1
fi

BUILD_DIR=$ROOT/build-bench
if [ "$BUILD" -eq 1 ]; then
  cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DEVSTORE_BUILD_TESTS=OFF >/dev/null
  ninja -C build-bench evstored evstore-bench
fi
EVSTORED=$BUILD_DIR/server/evstored
BENCH=$BUILD_DIR/bench/evstore-bench
for f in "$EVSTORED" "$BENCH"; do
  [ -x "$f" ] || { echo "bench.sh: $f is missing (build first)" >&2; exit 2; }
done
. "$ROOT/bench/evstored_control.sh"
EVSTORED_ENV="${SERVER_ENV[*]:-}"

mkdir -p "$DATA_ROOT"
FS_TYPE=$(findmnt -n -o FSTYPE -T "$DATA_ROOT" 2>/dev/null || stat -f -c %T "$DATA_ROOT")
if [ "$FS_TYPE" = "tmpfs" ] || [ "$FS_TYPE" = "ramfs" ]; then
  echo "bench.sh: $DATA_ROOT is $FS_TYPE; fsync there is free. Use --data-root" \
    "on a real disk." >&2
  exit 2
fi
WORK=$(mktemp -d "$DATA_ROOT/evstore-bench.XXXXXX")
[ -n "$OUT" ] || OUT=$WORK/results
mkdir -p "$OUT"
RESULTS=$OUT/results.jsonl
: >"$RESULTS"

PERF_STAT_PID="" PERF_RECORD_PID=""
cleanup() {
  [ -z "$PERF_STAT_PID" ] || kill -INT "$PERF_STAT_PID" 2>/dev/null || true
  [ -z "$PERF_RECORD_PID" ] || kill -INT "$PERF_RECORD_PID" 2>/dev/null || true
  stop_evstored || true
  if [ "$KEEP_DATA" -eq 0 ]; then
    find "$WORK" -mindepth 1 -maxdepth 1 -name 'data-*' -exec rm -rf {} +
    rmdir "$WORK" 2>/dev/null || true  # Empty unless it holds the results.
  fi
}
trap cleanup EXIT

# Can perf count syscalls of evstored? Then count its fsyncs (per thread:
# the group committer's sync thread is the one with by far the most).
COUNT_FSYNCS=0
if command -v perf >/dev/null &&
   perf stat -e syscalls:sys_enter_fdatasync -o /dev/null -- true 2>/dev/null; then
  COUNT_FSYNCS=1
fi

# The disk's own fsync latency, on the data disk: 500 synchronous 4 KiB
# appends (O_DSYNC, like a WAL append + fdatasync).
PROBE=$WORK/fsync-probe
DD_OUT=$(dd if=/dev/zero of="$PROBE" bs=4k count=500 oflag=dsync 2>&1 | tail -1)
rm -f "$PROBE"
DD_SECONDS=$(echo "$DD_OUT" | sed -n 's/.* copied, \([0-9.]*\) s.*/\1/p')
FSYNC_MS=$(awk -v s="$DD_SECONDS" 'BEGIN { if (s > 0) printf "%.3f", s * 1000 / 500; else print "n/a" }')

echo "evstore benchmark: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
echo "data root $DATA_ROOT ($FS_TYPE); fsync probe: 500 x 4 KiB O_DSYNC writes in ${DD_SECONDS:-?} s = $FSYNC_MS ms each"
echo "runs: ${DURATION} s measured after ${WARMUP} s warm-up, $REPEAT repetition(s); load average now: $(cut -d' ' -f1-3 /proc/loadavg)"
[ ${#BENCH_ARGS[@]} -eq 0 ] || echo "extra evstore-bench flags: ${BENCH_ARGS[*]}"
[ -z "$EVSTORED_ENV" ] || echo "evstored environment: $EVSTORED_ENV"
echo "results: $RESULTS"

# name | evstore-bench flags
WORKLOADS=(
  "batched|--workload=batched --producers=16 --batch=100 --event_bytes=256"
  "single-session|--workload=single --transport=session --producers=64 --sessions=8 --event_bytes=256"
  "single-unary|--workload=single --transport=unary --producers=64 --event_bytes=256"
)

selected() {
  [ ${#ONLY[@]} -eq 0 ] && return 0
  local o
  for o in "${ONLY[@]}"; do [ "$o" = "$1" ] && return 0; done
  return 1
}

FAILED=0
for ((rep = 1; rep <= REPEAT; rep++)); do
  for entry in "${WORKLOADS[@]}"; do
    name=${entry%%|*}
    read -r -a flags <<<"${entry#*|}"
    selected "$name" || continue
    run_id=$name-$rep
    echo
    echo "=== $run_id"
    start_evstored "$EVSTORED" "$WORK/data-$run_id" "$OUT/evstored-$run_id.log" \
      --durability=fsync
    if [ "$COUNT_FSYNCS" -eq 1 ]; then
      perf stat --per-thread -x, -o "$OUT/fsyncs-$run_id.csv" \
        -e syscalls:sys_enter_fdatasync,syscalls:sys_enter_fsync \
        -p "$EVSTORED_PID" 2>/dev/null &
      PERF_STAT_PID=$!
    fi
    if [ "$PERF" -eq 1 ]; then
      (sleep "$WARMUP" &&
        exec perf record -g -o "$OUT/perf-$run_id.data" -p "$EVSTORED_PID" \
          -- sleep "$DURATION") >"$OUT/perf-record-$run_id.log" 2>&1 &
      PERF_RECORD_PID=$!
    fi
    status=0
    line=$("$BENCH" --address="$EVSTORED_ADDRESS" --server_pid="$EVSTORED_PID" \
      --duration="$DURATION" --warmup="$WARMUP" --json --label="$run_id" \
      "${flags[@]}" ${BENCH_ARGS[@]+"${BENCH_ARGS[@]}"}) || status=$?
    if [ -n "$PERF_RECORD_PID" ]; then
      wait "$PERF_RECORD_PID" || true
      PERF_RECORD_PID=""
    fi
    if [ -n "$PERF_STAT_PID" ]; then
      kill -INT "$PERF_STAT_PID" 2>/dev/null || true
      wait "$PERF_STAT_PID" || true
      PERF_STAT_PID=""
    fi
    if ! stop_evstored; then
      echo "evstored did not stop cleanly; log: $OUT/evstored-$run_id.log" >&2
      FAILED=1
    fi
    [ "$KEEP_DATA" -eq 1 ] || rm -rf "$WORK/data-$run_id"
    if [ "$status" -ne 0 ] || [ -z "$line" ]; then
      echo "evstore-bench failed (status $status) in $run_id" >&2
      FAILED=1
      [ -n "$line" ] || continue
    fi
    wal_syncs=null all_syncs=null
    if [ -f "$OUT/fsyncs-$run_id.csv" ]; then
      # Lines: "<comm>-<tid>,<count>,,<event>,...". The WAL sync thread is
      # the thread with the most fdatasync calls.
      wal_syncs=$(awk -F, '$4 ~ /fdatasync/ && $2+0 > m { m = $2+0 } END { print m+0 }' \
        "$OUT/fsyncs-$run_id.csv")
      all_syncs=$(awk -F, '$4 ~ /sys_enter_f/ { s += $2 } END { print s+0 }' \
        "$OUT/fsyncs-$run_id.csv")
    fi
    echo "$line" | jq -c --arg name "$name" --argjson rep "$rep" \
      --argjson wal "$wal_syncs" --argjson all "$all_syncs" \
      --arg fsync_ms "$FSYNC_MS" \
      '. + {name: $name, rep: $rep, wal_syncs: $wal, all_syncs: $all,
            events_per_wal_sync: (if $wal != null and $wal > 0
                                  then (.total_events / $wal) else null end),
            fsync_probe_ms: $fsync_ms}' >>"$RESULTS"
    if [ "$PERF" -eq 1 ] && [ -f "$OUT/perf-$run_id.data" ]; then
      # Self time by symbol, by library and by thread ("pid" is the thread
      # id; the group committer's threads are unnamed "evstored": the commit
      # thread is the busier, the WAL sync thread the next one created).
      for sort in dso,symbol dso pid; do
        perf report -i "$OUT/perf-$run_id.data" --no-children -g none \
          --sort "$sort" --stdio 2>/dev/null | grep -v '^#' | grep '%' |
          cut -c1-160 | sed 's/[[:space:]]*$//' | head -30 \
          >"$OUT/perf-${sort//,/-}-$run_id.txt" || true
      done
      echo "evstored during the window, self time by library:"
      head -8 "$OUT/perf-dso-$run_id.txt" | sed 's/^/  /'
      echo "by thread:"
      head -8 "$OUT/perf-pid-$run_id.txt" | sed 's/^/  /'
      echo "by symbol:"
      head -20 "$OUT/perf-dso-symbol-$run_id.txt" | sed 's/^/  /'
    fi
  done
done

echo
echo "=== summary (median of $REPEAT by events/s; data root $FS_TYPE, fsync probe $FSYNC_MS ms; load average now $(cut -d' ' -f1-3 /proc/loadavg))"
jq -s -r '
  def target: if .name == "batched" then 150000
              elif .name == "single-session" then 40000 else null end;
  def fmt: if . == null then "-" else (. | floor | tostring
           | [scan("\\d{1,3}(?=(?:\\d{3})*$)")] | join(",")) end;
  def ms: if . == null then "-" else ((. * 100 | round) / 100 | tostring) end;
  group_by(.name) | sort_by(.[0].name | if . == "batched" then 0 elif . == "single-session" then 1 else 2 end)
  | map(sort_by(.events_per_s) as $runs
        | ($runs[(($runs | length) - 1) / 2 | floor]) as $m
        | {name: $m.name, m: $m,
           lo: $runs[0].events_per_s, hi: $runs[-1].events_per_s,
           errors: (map(.errors) | add), n: ($runs | length)})
  | (["workload", "events/s", "range", "MB/s", "appends/s", "p50", "p99",
      "p99.9", "max ms", "ev/fsync", "srv CPU", "load1", "errors", "target"]
     | @tsv),
    (.[] | [.name, (.m.events_per_s | fmt),
            ((.lo | fmt) + "-" + (.hi | fmt)),
            ((.m.mb_per_s * 10 | round) / 10 | tostring),
            (.m.appends_per_s | fmt),
            (.m.latency_ms.p50 | ms), (.m.latency_ms.p99 | ms),
            (.m.latency_ms.p999 | ms), (.m.latency_ms.max | ms),
            (.m.events_per_wal_sync | if . == null then "-" else (. * 10 | round / 10 | tostring) end),
            (.m.server_cpu_cores | if . == null then "-" else (. * 100 | round / 100 | tostring) end),
            (.m.loadavg_before[0] | tostring),
            (.errors | tostring),
            ((.m | target) as $t | if $t == null then "-"
             elif .m.events_per_s >= $t then ">= " + ($t | fmt) + " MET"
             else ">= " + ($t | fmt) + " MISSED" end)] | @tsv)
' "$RESULTS" | column -t -s $'\t'
echo "(per-run JSON: $RESULTS)"

if [ "$FAILED" -ne 0 ]; then
  echo "bench.sh: some runs failed (see above)" >&2
  exit 1
fi
