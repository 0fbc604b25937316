#!/usr/bin/env bash
# Command 1 of the README: install what is missing, build, and start evstored
# in the foreground with its defaults (data in ./data, listening on
# 127.0.0.1:50051). Extra arguments go to evstored (see build/evstored --help).
# Customers are created with `evstore customer create` (README walkthrough).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
exec build/server/evstored --data_dir=./data "$@"
