#!/usr/bin/env bash
# Command 2 of the README (and what CI runs): install what is missing, build,
# check formatting, lint the contract, run every test with CTest, then attack
# the code: ASan+UBSan over every test, TSan over the unit tests (concurrency
# of the group commit and the tails), libFuzzer for 30 s per target,
# clang-tidy, the container image built and checked with podman
# (scripts/container-smoke.sh), and a smoke run of the side-by-side benchmark
# against Redis and PostgreSQL. See RELIABILITY.md, BENCHMARKS.md and
# docs/operations.md.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n=== %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }

step "dependencies"
scripts/install-deps.sh
scripts/install-bench-deps.sh
step "build"
scripts/build.sh
step "clang-format"
scripts/lint.sh
step "buf lint"
scripts/buf-lint.sh
step "tests"
(cd build && ctest --output-on-failure --parallel "$(nproc)" --timeout 600)
step "ASan + UBSan"
scripts/sanitize.sh asan
step "TSan (unit tests)"
scripts/sanitize.sh tsan -R 'unit\.'
step "libFuzzer"
scripts/fuzz.sh --seconds 30
step "container image (podman build and smoke run)"
# Needs root and podman (or ../shared/tools/podman-setup.sh to install it);
# about 15 minutes, most of it compiling inside the image.
if [ "$(id -u)" -eq 0 ] && { command -v podman >/dev/null 2>&1 ||
    [ -f ../shared/tools/podman-setup.sh ]; }; then
  scripts/container-smoke.sh
else
  echo "skipped: needs root and podman (or ../shared/tools/podman-setup.sh)"
fi
step "benchmark comparison (smoke)"
bench/compare.sh --smoke --build-dir build
step "clang-tidy"
scripts/lint.sh --tidy
step "done"
