# shellcheck shell=bash disable=SC2034
# Shell functions that run Redis and PostgreSQL as throwaway instances for
# the peer benchmarks (sourced by bench/compare.sh): each on a free
# 127.0.0.1 port, with its data in a new directory, with the durability of
# evstore's default (an append is acknowledged only after fsync).
#
#   start_redis DIR LOG
#       redis-server with appendonly yes, appendfsync always (the AOF is
#       fsync'd before replies are sent), no RDB snapshots. Sets REDIS_PID,
#       REDIS_ADDRESS.
#   stop_redis
#   start_postgres DIR LOG MAX_CONNECTIONS
#       initdb (as the `postgres` user: PostgreSQL refuses to run as root)
#       and a postmaster with fsync=on, synchronous_commit=on and the
#       defaults otherwise (full_page_writes=on, wal_sync_method=fdatasync),
#       trust authentication on 127.0.0.1 only. Sets POSTGRES_PID (the
#       postmaster), POSTGRES_ADDRESS.
#   stop_postgres
# DIR must not exist yet; it is removed by the stop functions. Start
# functions fail when the server is not ready within 60 s.

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

# A TCP port nobody listens on now (the server may still lose a race for
# it: the start functions retry with another one).
free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 40000))
    if [ -z "$(ss -Hltn "sport = :$port" 2>/dev/null)" ]; then
      echo "$port"
      return
    fi
  done
}

start_redis() {
  local dir=$1 log=$2 port attempt i
  mkdir -p "$dir"
  for attempt in 1 2 3 4 5; do
    port=$(free_port)
    redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" \
      --appendonly yes --appendfsync always --save "" \
      --daemonize no --maxclients 10000 >"$log" 2>&1 &
    REDIS_PID=$!
    for ((i = 0; i < 600; i++)); do
      if [ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" = "PONG" ]; then
        REDIS_ADDRESS=127.0.0.1:$port
        REDIS_DIR=$dir
        return 0
      fi
      kill -0 "$REDIS_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$REDIS_PID" 2>/dev/null || true
    wait "$REDIS_PID" 2>/dev/null || true
    echo "redis-server did not start on port $port (attempt $attempt); its log:" >&2
    tail -5 "$log" >&2
  done
  REDIS_PID=""
  return 1
}

stop_redis() {
  [ -n "${REDIS_PID:-}" ] || return 0
  local pid=$REDIS_PID i
  REDIS_PID=""
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 300; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -rf "$REDIS_DIR"
}

start_postgres() {
  local dir=$1 log=$2 max_connections=$3 port attempt i
  mkdir -p "$dir"
  chown postgres: "$dir"
  if ! runuser -u postgres -- "$PG_BIN/initdb" -D "$dir/pgdata" -U postgres \
      -A trust --no-sync >"$log" 2>&1; then
    echo "initdb failed; its output:" >&2
    cat "$log" >&2
    return 1
  fi
  POSTGRES_DIR=$dir
  for attempt in 1 2 3 4 5; do
    port=$(free_port)
    # Unix sockets in $dir; TCP on 127.0.0.1 only.
    runuser -u postgres -- "$PG_BIN/postgres" -D "$dir/pgdata" \
      -h 127.0.0.1 -p "$port" -k "$dir" \
      -c fsync=on -c synchronous_commit=on \
      -c max_connections="$max_connections" >>"$log" 2>&1 &
    for ((i = 0; i < 600; i++)); do
      if "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" 2>/dev/null &&
         [ -s "$dir/pgdata/postmaster.pid" ]; then
        POSTGRES_PID=$(head -1 "$dir/pgdata/postmaster.pid")
        POSTGRES_ADDRESS=127.0.0.1:$port
        return 0
      fi
      [ -f "$dir/pgdata/postmaster.pid" ] || ! grep -q "FATAL" "$log" || break
      sleep 0.1
    done
    if [ -s "$dir/pgdata/postmaster.pid" ]; then
      kill -KILL "$(head -1 "$dir/pgdata/postmaster.pid")" 2>/dev/null || true
      sleep 1
    fi
    echo "postgres did not start on port $port (attempt $attempt); its log:" >&2
    tail -5 "$log" >&2
  done
  POSTGRES_PID=""
  return 1
}

stop_postgres() {
  [ -n "${POSTGRES_PID:-}" ] || return 0
  local pid=$POSTGRES_PID i
  POSTGRES_PID=""
  kill -INT "$pid" 2>/dev/null || true  # Fast shutdown.
  for ((i = 0; i < 300; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  sleep 0.2
  rm -rf "$POSTGRES_DIR"
}
