#!/usr/bin/env bash
# The Python proof (examples/python/consumer.py) against a real evstored:
# stubs generated from our proto, events appended with the real CLI, the
# consumer run twice (the second run resumes from the checkpoint and prints
# only the new events), and the partition hash of python3-xxhash matched
# against the server's routing (4 partitions together = the whole feed).
# Usage: python_consumer_test.sh EVSTORED EVSTORE_CLI SOURCE_DIR
# Exit 77 (skipped) when Debian's python3-grpcio/python3-xxhash or
# grpc_python_plugin are missing (scripts/install-deps.sh installs them).
set -euo pipefail
evstored=$1
cli=$2
src=$3
python=/usr/bin/python3

if ! "$python" -c 'import grpc, google.protobuf, xxhash' 2>/dev/null ||
   ! command -v protoc >/dev/null || ! command -v grpc_python_plugin >/dev/null; then
  echo "SKIP: needs python3-grpcio, python3-protobuf, python3-xxhash," \
       "protobuf-compiler and protobuf-compiler-grpc" >&2
  exit 77
fi

work=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# 1. Stubs from our proto.
mkdir -p "$work/stubs"
protoc -I "$src/proto" --python_out="$work/stubs" --grpc_python_out="$work/stubs" \
  --plugin=protoc-gen-grpc_python="$(command -v grpc_python_plugin)" \
  evstore/v1/evstore.proto

# 2. A real evstored on a free port.
"$evstored" --data_dir="$work/data" --listen=127.0.0.1:0 \
  --port_file="$work/port" --metrics_address=127.0.0.1:0 --log_level=warn \
  >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 200); do
  [ -s "$work/port" ] && [ -s "$work/data/admin.token" ] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; fail "evstored exited"; }
  sleep 0.1
done
[ -s "$work/port" ] || fail "evstored wrote no port file"
address=127.0.0.1:$(cat "$work/port")
customer=orsted-dk
evstore() { "$cli" --address "$address" --data_dir "$work/data" "$@"; }

evstore customer create "$customer" >/dev/null
consumer_token=$(evstore token create --role consumer --customer "$customer" 2>/dev/null)

# Appends event N (1-based) to stream $2 with a fixed id, so the expected
# output is exact.
append() {
  local n=$1 stream=$2
  evstore --customer "$customer" append --stream "$stream" --type Nominated \
    --id "$(printf '00000000-0000-4000-8000-%012d' "$n")" "{\"n\":$n}" >/dev/null
}
# The line consumer.py prints for event N at position P, revision R.
expected_line() {
  local n=$1 position=$2 stream=$3 revision=$4
  printf '{"data":{"n":%d},"id":"00000000-0000-4000-8000-%012d","position":%d,"revision":%d,"stream":"%s","type":"Nominated"}\n' \
    "$n" "$n" "$position" "$revision" "$stream"
}
consume() {
  "$python" "$src/examples/python/consumer.py" --address "$address" \
    --token "$consumer_token" --customer "$customer" --stubs "$work/stubs" \
    --exit-when-caught-up "$@"
}

# 3. Five events, consumed from a new checkpoint (committing every 2).
for n in 1 2 3 4 5; do append "$n" "contract/$((n % 2))/nominations"; done
consume --checkpoint loader --commit-every 2 >"$work/run1.out"
{
  expected_line 1 1 contract/1/nominations 1
  expected_line 2 2 contract/0/nominations 1
  expected_line 3 3 contract/1/nominations 2
  expected_line 4 4 contract/0/nominations 2
  expected_line 5 5 contract/1/nominations 3
} >"$work/run1.expected"
diff -u "$work/run1.expected" "$work/run1.out" || fail "first run"

# 4. Three more: the second run resumes after the checkpoint (5).
for n in 6 7 8; do append "$n" "contract/$((n % 2))/nominations"; done
consume --checkpoint loader >"$work/run2.out"
{
  expected_line 6 6 contract/0/nominations 3
  expected_line 7 7 contract/1/nominations 4
  expected_line 8 8 contract/0/nominations 4
} >"$work/run2.expected"
diff -u "$work/run2.expected" "$work/run2.out" || fail "second run (resume)"
# A third run has nothing new.
consume --checkpoint loader >"$work/run3.out"
[ ! -s "$work/run3.out" ] || { cat "$work/run3.out" >&2; fail "third run printed events"; }

# 5. Partitions: 40 streams; 4 partition consumers together print the whole
# feed once, and each event's stream hashes (python3-xxhash) to its
# partition.
for n in $(seq 9 48); do append "$n" "order-$n"; done
for p in 0 1 2 3; do
  consume --checkpoint "split" --partition "$p/4" >"$work/part$p.out"
done
consume --checkpoint everything >"$work/all.out"
"$python" - "$work" <<'PY'
import json, sys, xxhash
work = sys.argv[1]
everything = [json.loads(l) for l in open(f"{work}/all.out")]
assert [e["position"] for e in everything] == list(range(1, 49)), "whole feed"
seen = {}
for p in range(4):
    lines = [json.loads(l) for l in open(f"{work}/part{p}.out")]
    assert lines, f"partition {p} is empty"
    positions = [e["position"] for e in lines]
    assert positions == sorted(positions), f"partition {p} out of order"
    for e in lines:
        h = xxhash.xxh64(e["stream"].encode("utf-8"), seed=0).intdigest()
        assert h % 4 == p, f"{e['stream']} is in partition {p}, hash says {h % 4}"
        assert e["position"] not in seen, f"position {e['position']} twice"
        seen[e["position"]] = e
assert sorted(seen) == list(range(1, 49)), "partitions miss events"
assert [seen[k] for k in sorted(seen)] == everything, "partition events differ"
PY

# 6. Each partition committed the feed's head (its caught_up position), so
# the next runs print nothing.
for p in 0 1 2 3; do
  consume --checkpoint "split" --partition "$p/4" >"$work/again$p.out"
  [ ! -s "$work/again$p.out" ] || fail "partition $p did not resume at the head"
done
echo "PASS"
