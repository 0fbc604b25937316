#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang, ASan and UBSan into
# ./build-fuzz and runs each for N seconds (default 30), starting from the
# committed seed corpus and regression inputs (copied to a scratch dir: the
# repository is never written). Fails on the first target that crashes,
# leaks or breaks a property, and prints the path of the input that did.
#
# Usage: scripts/fuzz.sh [--seconds N] [--keep DIR] [TARGET...]
#   --seconds N  fuzzing time per target (default 30)
#   --keep DIR   use DIR as the scratch dir and keep it (the grown corpora
#                and any crash inputs); default: a temp dir, removed on
#                success and kept on failure
#   TARGET...    a subset of: key_format meta_format record_codec
#                request_validation
# Needs clang and libFuzzer (Debian 12: apt-get install clang
# libclang-rt-14-dev). On the shared 2-core dev machine (load ~20) the
# default run took 8.3 min: 6.8 min to build from scratch, 3 x 30 s fuzzing.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_TARGET=30
SCRATCH=""
TARGETS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) SECONDS_PER_TARGET="$2"; shift 2 ;;
    --keep) SCRATCH="$2"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/{/^set/d;s/^# \?//;p}' "$0"; exit 0 ;;
    -*) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    *) TARGETS+=("$1"); shift ;;
  esac
done
if [ ${#TARGETS[@]} -eq 0 ]; then
  TARGETS=(key_format meta_format record_codec request_validation)
fi

# Longest inputs worth trying: a stream run key with the longest stream name
# and its second value; two customers' meta key parts with the longest
# customer and checkpoint names, then the meta values (~540 bytes); an
# envelope with a few fields; a request with a few events, their metadata
# and data (the small limits are crossed well below).
max_len() {
  case "$1" in
    key_format) echo 640 ;;
    meta_format) echo 640 ;;
    record_codec) echo 2048 ;;
    request_validation) echo 4096 ;;
    *) echo "unknown fuzz target $1" >&2; exit 2 ;;
  esac
}

for target in "${TARGETS[@]}"; do max_len "$target" >/dev/null; done

command -v clang++ >/dev/null || {
  echo "scripts/fuzz.sh needs clang++ (apt-get install clang libclang-rt-14-dev)" >&2
  exit 2
}

cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++ \
  -DEVSTORE_FUZZ=ON >/dev/null
cmake --build build-fuzz --target evstore_fuzzers --parallel "$(nproc)"

KEEP_SCRATCH=1
if [ -z "$SCRATCH" ]; then
  SCRATCH="$(mktemp -d -t evstore-fuzz.XXXXXX)"
  KEEP_SCRATCH=0
fi
mkdir -p "$SCRATCH"
echo "scratch dir: $SCRATCH"

export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

for target in "${TARGETS[@]}"; do
  corpus="$SCRATCH/$target/corpus"
  artifacts="$SCRATCH/$target/artifacts/"
  mkdir -p "$corpus" "$artifacts"
  # Dot files (.gitkeep) are not inputs.
  find "tests/fuzz/corpus/$target" "tests/fuzz/regressions/$target" \
    -type f ! -name '.*' -exec cp -t "$corpus" {} +
  dict=()
  if [ -f "tests/fuzz/$target.dict" ]; then
    dict=(-dict="tests/fuzz/$target.dict")
  fi
  log="$SCRATCH/$target/fuzz.log"
  # -timeout only catches hangs: one input takes well under a millisecond,
  # but on a loaded shared machine a process can stall for many seconds
  # (a 10 s timeout fired spuriously at a load average of 18).
  echo "== $target: fuzzing for ${SECONDS_PER_TARGET}s (log: $log)"
  status=0
  "build-fuzz/tests/fuzz/${target}_fuzzer" "$corpus" "${dict[@]}" \
    -max_total_time="$SECONDS_PER_TARGET" -max_len="$(max_len "$target")" \
    -timeout=300 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$artifacts" >"$log" 2>&1 || status=$?
  grep -E '^(#[0-9]+[[:space:]]+DONE|stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb))' "$log" || true
  if [ "$status" -ne 0 ]; then
    tail -n 60 "$log" >&2
    crash="$(find "$artifacts" -type f | head -n 1)"
    echo "FAILED: $target (exit $status); input: ${crash:-none written, see $log}" >&2
    echo "replay: build-fuzz/tests/fuzz/${target}_fuzzer ${crash:-INPUT}" >&2
    exit 1
  fi
done
echo "fuzzing passed: ${TARGETS[*]} (${SECONDS_PER_TARGET}s each)"
if [ "$KEEP_SCRATCH" -eq 0 ]; then rm -rf "$SCRATCH"; fi
