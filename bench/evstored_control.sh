# shellcheck shell=bash disable=SC2034
# Shell functions to start and stop one evstored for benchmarks (sourced by
# bench/smoke.sh, bench/compare.sh and bench/stalled_bench.sh).
#
#   start_evstored EVSTORED DATA_DIR LOG [extra evstored flags...]
#       Starts evstored on an ephemeral 127.0.0.1 port with DATA_DIR and its
#       log in LOG; sets EVSTORED_PID and EVSTORED_ADDRESS. Fails when the
#       server does not report its port within 30 s. Words of EVSTORED_ENV
#       (VAR=VALUE ...), when set, go into the server's environment. The
#       server runs with --auto_create_customers (the benchmark's customers
#       are created by their first append). Exports EVSTORE_TOKEN, the
#       server's admin token from DATA_DIR/admin.token, which evstore-bench,
#       evstore-stalled-bench and the evstore CLI send.
#   stop_evstored
#       SIGTERM, then waits (up to 20 s, SIGKILL after) for the process; fails
#       unless it exited with status 0.

start_evstored() {
  local evstored=$1 data_dir=$2 log=$3
  shift 3
  local port_file="$data_dir.port"
  rm -f "$port_file"
  mkdir -p "$data_dir"
  # `env` execs evstored, so $! is the server's pid.
  # shellcheck disable=SC2086
  env ${EVSTORED_ENV:-} "$evstored" --listen=127.0.0.1:0 --port_file="$port_file" \
    --data_dir="$data_dir" --auto_create_customers "$@" >"$log" 2>&1 &
  EVSTORED_PID=$!
  local i
  for ((i = 0; i < 300; i++)); do
    if [ -s "$port_file" ]; then
      EVSTORED_ADDRESS="127.0.0.1:$(cat "$port_file")"
      # Written (fsync'd) before the server listens.
      if [ ! -s "$data_dir/admin.token" ]; then
        echo "evstored did not write $data_dir/admin.token" >&2
        return 1
      fi
      EVSTORE_TOKEN=$(cat "$data_dir/admin.token")
      export EVSTORE_TOKEN
      return 0
    fi
    if ! kill -0 "$EVSTORED_PID" 2>/dev/null; then
      echo "evstored exited at startup; its log:" >&2
      cat "$log" >&2
      EVSTORED_PID=""
      return 1
    fi
    sleep 0.1
  done
  echo "evstored did not report its port within 30 s; its log:" >&2
  cat "$log" >&2
  kill -KILL "$EVSTORED_PID" 2>/dev/null || true
  EVSTORED_PID=""
  return 1
}

stop_evstored() {
  [ -n "${EVSTORED_PID:-}" ] || return 0
  local pid=$EVSTORED_PID status=0 i
  EVSTORED_PID=""
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 200; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "evstored (pid $pid) did not stop within 20 s; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    return 1
  fi
  wait "$pid" || status=$?
  if [ "$status" -ne 0 ]; then
    echo "evstored (pid $pid) exited with status $status" >&2
    return 1
  fi
  return 0
}
