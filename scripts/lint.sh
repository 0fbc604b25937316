#!/usr/bin/env bash
# Formatting and static checks. `scripts/lint.sh` checks clang-format on all
# sources; `scripts/lint.sh --tidy` also runs clang-tidy (slow: minutes) using
# build/compile_commands.json (run scripts/build.sh first).
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t SOURCES < <(git ls-files '*.cc' '*.h')
clang-format --dry-run -Werror "${SOURCES[@]}"
echo "clang-format: ${#SOURCES[@]} files clean"
if [ "${1:-}" = "--tidy" ]; then
  mapfile -t UNITS < <(git ls-files '*.cc')
  clang-tidy -p build --quiet "${UNITS[@]}"
  echo "clang-tidy: ${#UNITS[@]} files clean"
fi
