#!/usr/bin/env bash
# Command 2 of the README (and what CI runs): install what is missing, build,
# check formatting, lint the contract, and run every test with CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
scripts/lint.sh
scripts/buf-lint.sh
cd build
ctest --output-on-failure --parallel "$(nproc)" --timeout 600
