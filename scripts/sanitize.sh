#!/usr/bin/env bash
# Sanitizer runs of evstore. Builds a CMake preset (CMakePresets.json) into
# its own directory and runs the tests under it; the integration tests start
# the evstored (and evstore CLI) of that same sanitized build.
#
# Usage: scripts/sanitize.sh asan|tsan [ctest args...]
#   asan  AddressSanitizer + LeakSanitizer + UndefinedBehaviorSanitizer
#         (build-asan/): every unit and integration test.
#   tsan  ThreadSanitizer (build-tsan/): every unit and integration test.
#   Extra arguments go to ctest, e.g. -R 'unit\.' to run a subset.
#
# Every sanitizer report of every process (tests, evstored, the CLI) is
# written to build-<preset>/sanitizer-reports/ (log_path), because evstored's
# own stderr goes to a temporary directory that the test fixture deletes.
# The run fails when ctest fails or when any report was written, and prints
# the reports. Suppressions: tests/sanitizers/*.supp (third-party only, each
# entry justified there).
#
# The bench smoke test (label "bench") is not run: it measures, it does not
# check, and it is slow under sanitizers.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

PRESET=${1:-}
case "$PRESET" in
  asan|tsan) shift ;;
  *) echo "usage: scripts/sanitize.sh asan|tsan [ctest args...]" >&2; exit 2 ;;
esac
BUILD_DIR=$ROOT/build-$PRESET
SUPP=$ROOT/tests/sanitizers

cmake --preset "$PRESET" >/dev/null
cmake --build --preset "$PRESET" --parallel "$(nproc)"

# Tests that bound the server's memory skip that bound under sanitizers.
export EVSTORE_SANITIZER=$PRESET
REPORTS=$BUILD_DIR/sanitizer-reports
rm -rf "$REPORTS"
mkdir -p "$REPORTS"
if [ "$PRESET" = asan ]; then
  export ASAN_OPTIONS="log_path=$REPORTS/asan:log_exe_name=1:halt_on_error=1:detect_leaks=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1"
  export UBSAN_OPTIONS="log_path=$REPORTS/ubsan:log_exe_name=1:print_stacktrace=1:halt_on_error=1"
  export LSAN_OPTIONS="suppressions=$SUPP/lsan.supp:print_suppressions=0"
else
  export TSAN_OPTIONS="log_path=$REPORTS/tsan:log_exe_name=1:halt_on_error=0:ignore_noninstrumented_modules=1:second_deadlock_stack=1:suppressions=$SUPP/tsan.supp:print_suppressions=0"
fi

status=0
(cd "$BUILD_DIR" && ctest --output-on-failure --parallel "$(nproc)" \
  --timeout 1200 --label-exclude bench "$@") || status=$?

shopt -s nullglob
reports=("$REPORTS"/*)
if [ ${#reports[@]} -gt 0 ]; then
  for r in "${reports[@]}"; do
    echo "===== $r"
    cat "$r"
  done
  echo "sanitize.sh $PRESET: ${#reports[@]} sanitizer report file(s) in $REPORTS" >&2
  status=1
fi
if [ "$status" -eq 0 ]; then
  echo "sanitize.sh $PRESET: all tests passed, no sanitizer reports"
fi
exit "$status"
