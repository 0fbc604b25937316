# shellcheck shell=bash disable=SC2034
# Shell functions to start and stop the evstore-grpc-ceiling server (sourced
# by bench/compare.sh), like evstored_control.sh does for evstored.
#
#   start_ceiling CEILING LOG
#       Starts `CEILING --serve` on an ephemeral 127.0.0.1 port, its log in
#       LOG; sets CEILING_PID and CEILING_ADDRESS. Fails when the server does
#       not report its port within 30 s.
#   stop_ceiling
#       SIGTERM, then waits (up to 20 s, SIGKILL after); fails unless the
#       server exited with status 0.

start_ceiling() {
  local ceiling=$1 log=$2
  local port_file="$log.port" i
  rm -f "$port_file"
  "$ceiling" --serve --listen=127.0.0.1:0 --port_file="$port_file" >"$log" 2>&1 &
  CEILING_PID=$!
  for ((i = 0; i < 300; i++)); do
    if [ -s "$port_file" ]; then
      CEILING_ADDRESS="127.0.0.1:$(cat "$port_file")"
      rm -f "$port_file"
      return 0
    fi
    if ! kill -0 "$CEILING_PID" 2>/dev/null; then
      echo "evstore-grpc-ceiling exited at startup; its log:" >&2
      cat "$log" >&2
      CEILING_PID=""
      return 1
    fi
    sleep 0.1
  done
  echo "evstore-grpc-ceiling did not report its port within 30 s" >&2
  kill -KILL "$CEILING_PID" 2>/dev/null || true
  CEILING_PID=""
  return 1
}

stop_ceiling() {
  [ -n "${CEILING_PID:-}" ] || return 0
  local pid=$CEILING_PID status=0 i
  CEILING_PID=""
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 200; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "evstore-grpc-ceiling (pid $pid) did not stop within 20 s; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    return 1
  fi
  wait "$pid" || status=$?
  [ "$status" -eq 0 ] || { echo "evstore-grpc-ceiling exited with status $status" >&2; return 1; }
}
