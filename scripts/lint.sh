#!/usr/bin/env bash
# Formatting and static checks. `scripts/lint.sh` checks clang-format on all
# sources; `scripts/lint.sh --tidy` also runs clang-tidy (.clang-tidy) over
# every .cc file of the project (slow: see docs/sanitizers.md for how long)
# and fails on any clang-tidy warning. It uses build/compile_commands.json:
# configures build/ (CMake preset "default") and generates the protobuf
# headers when needed; a full build is not required.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t SOURCES < <(git ls-files '*.cc' '*.h')
clang-format --dry-run -Werror "${SOURCES[@]}"
echo "clang-format: ${#SOURCES[@]} files clean"
if [ "${1:-}" = "--tidy" ]; then
  cmake --preset default >/dev/null
  cmake --build build --target proto/evstore/v1/evstore.pb.h \
    proto/evstore/v1/evstore.grpc.pb.h proto/evstore/v1/admin.pb.h \
    proto/evstore/v1/admin.grpc.pb.h bench/proto/ceiling.pb.h \
    bench/proto/ceiling.grpc.pb.h >/dev/null
  mapfile -t UNITS < <(git ls-files '*.cc')
  # Every warning is an error (also set in .clang-tidy; repeated here so that
  # the gate does not depend on that line). xargs exits non-zero when any
  # clang-tidy run does.
  printf '%s\n' "${UNITS[@]}" |
    xargs -P "$(nproc)" -n 4 clang-tidy -p build --quiet --warnings-as-errors='*'
  echo "clang-tidy: ${#UNITS[@]} files clean"
fi
