#!/usr/bin/env bash
# Command 1 of the README: install what is missing, build, and start evstored
# in the foreground with its defaults (data in ./data, listening on
# 127.0.0.1:50051). Extra arguments go to evstored (see build/evstored --help).
# Development mode --auto_create_customers until the README's quick start
# creates its customer with the Admin API (issue 3, part 1 in progress).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
exec build/server/evstored --data_dir=./data --auto_create_customers "$@"
