#!/usr/bin/env bash
# Builds the container image and checks it for real with podman: the image
# refuses plaintext on 0.0.0.0 without --allow_insecure; started with TLS
# (a throwaway CA and server certificate) it becomes SERVING on the gRPC
# health service, both over TLS and on the plaintext health-only port
# (--health_listen, what Kubernetes' native gRPC probes use), wrote its
# bootstrap admin token to its data dir /data/db, and an event appended
# through it reads back; the image's evstore-relay delivers that event to a
# webhook on the host and commits its checkpoint; an online backup lands on
# the volume; `podman stop` (SIGTERM) ends both with exit status 0. Everything listens on 127.0.0.1 only (--network host shares
# the host's loopback, so nothing is exposed beyond this machine).
#
# Usage: scripts/container-smoke.sh [--no-build] [--image NAME]
#   --no-build    use an image built before (default name evstore:smoke)
# Needs root (podman) and openssl; prepares podman with
# ../shared/tools/podman-setup.sh when podman is not usable yet. The client
# is build/client/evstore when it exists (the host's build), else the
# image's own evstore.
# Takes: the image build compiles evstored in the container (about 15 min on
# 2 busy cores; seconds when podman's layer cache is warm), the checks ~10 s.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '=== %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }
fail() { echo "container-smoke: FAILED: $*" >&2; exit 1; }

image=evstore:smoke
build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) build=0 ;;
    --image) image=$2; shift ;;
    *) echo "usage: $0 [--no-build] [--image NAME]" >&2; exit 2 ;;
  esac
  shift
done

if ! command -v podman >/dev/null 2>&1 ||
   ! podman image exists docker.io/library/debian:bookworm-slim; then
  step "podman setup"
  bash ../shared/tools/podman-setup.sh
fi

if [ "$build" = 1 ]; then
  step "podman build $image"
  podman build --network host --pull=never -t "$image" .
fi

work=$(mktemp -d)
name=evstore-smoke-$$
volume=evstore-smoke-data-$$
cleanup() {
  podman rm -f "$name" "$name-relay" >/dev/null 2>&1 || true
  [ -z "${hook_pid:-}" ] || kill "$hook_pid" 2>/dev/null || true
  podman volume rm -f "$volume" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

step "plaintext on 0.0.0.0 is refused without --allow_insecure"
set +e
refusal=$(podman run --rm --network host "$image" 2>&1)
refused_with=$?
set -e
[ "$refused_with" = 2 ] || fail "expected exit 2 without TLS flags, got $refused_with: $refusal"
grep -q allow_insecure <<<"$refusal" || fail "the refusal does not name --allow_insecure: $refusal"

step "TLS certificates (throwaway CA)"
tls=$work/tls
mkdir -p "$tls"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -keyout "$tls/ca.key" -out "$tls/ca.crt" -days 2 -subj /CN=evstore-smoke-ca \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
  2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -keyout "$tls/tls.key" -out "$work/server.csr" -subj /CN=localhost 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > "$work/server.ext"
openssl x509 -req -in "$work/server.csr" -CA "$tls/ca.crt" -CAkey "$tls/ca.key" \
  -set_serial 1 -days 2 -out "$tls/tls.crt" -extfile "$work/server.ext" 2>/dev/null
# The container runs as uid 10001: let it read the mounted files.
chmod 0755 "$work" "$tls"
chmod 0644 "$tls"/*

step "start $image (TLS, 127.0.0.1, free ports)"
# The health-only port: one that was free a moment ago.
health_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
podman volume create "$volume" >/dev/null
podman run -d --name "$name" --network host \
  -v "$volume:/data" -v "$tls:/etc/evstore/tls:ro" \
  "$image" --listen 127.0.0.1:0 --port_file /data/port \
  --health_listen "127.0.0.1:$health_port" \
  --tls_cert /etc/evstore/tls/tls.crt --tls_key /etc/evstore/tls/tls.key >/dev/null
port=""
for _ in $(seq 1 300); do
  port=$(podman exec "$name" cat /data/port 2>/dev/null || true)
  [ -n "$port" ] && break
  [ "$(podman inspect -f '{{.State.Running}}' "$name")" = true ] ||
    { podman logs "$name" >&2; fail "evstored exited at start"; }
  sleep 0.2
done
[ -n "$port" ] || { podman logs "$name" >&2; fail "no port file after 60 s"; }
address=localhost:$port

if [ -x build/client/evstore ]; then
  plain_cli() { build/client/evstore "$@"; }
  echo "client: build/client/evstore (host), server: $address"
else
  plain_cli() {
    podman run --rm --network host -v "$tls:/etc/evstore/tls:ro" --entrypoint evstore \
      "$image" "$@"
  }
  echo "client: the image's evstore, server: $address"
fi
ca=$tls/ca.crt
[ -x build/client/evstore ] || ca=/etc/evstore/tls/ca.crt
cli() { plain_cli --address "$address" --tls_ca "$ca" "$@"; }

step "health (TLS on the gRPC port, plaintext on the health-only port)"
health=$(cli health --wait 60s) || { podman logs "$name" >&2; fail "not SERVING"; }
[ "$health" = '{"status":"SERVING"}' ] || fail "health said: $health"
health=$(plain_cli --address "127.0.0.1:$health_port" health) || fail "health port: $health"
[ "$health" = '{"status":"SERVING"}' ] || fail "health port said: $health"

step "admin token from the data dir (/data/db), customer, producer token"
admin=$(podman exec "$name" cat /data/db/admin.token)
[[ "$admin" == evs_* ]] || fail "no admin token in /data/db/admin.token"
cli --token "$admin" customer create smoke-customer >/dev/null
producer=$(cli --token "$admin" token create --role producer --description smoke)
[[ "$producer" == evs_* ]] || fail "no producer token: $producer"

step "append and read back"
payload='{"smoke":true,"value":42}'
cli --token "$producer" --customer smoke-customer append \
  --stream smoke/stream --type SmokeTested "$payload" >/dev/null
read_back=$(cli --token "$producer" --customer smoke-customer read --stream smoke/stream)
[ "$(grep -c . <<<"$read_back")" = 1 ] || fail "expected one event, read: $read_back"
grep -q '"type":"SmokeTested"' <<<"$read_back" || fail "wrong event: $read_back"
grep -q '"value":42' <<<"$read_back" || fail "wrong data: $read_back"

step "evstore-relay from the image delivers the event to a webhook"
consumer=$(cli --token "$admin" token create --role consumer --customer smoke-customer \
  --description smoke-relay)
[[ "$consumer" == evs_* ]] || fail "no consumer token: $consumer"
hook_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# The example receiver (examples/webhook/receiver.py) verifies signatures.
WEBHOOK_SECRET=smoke-secret python3 examples/webhook/receiver.py \
  --port "$hook_port" --out "$work/hook.jsonl" 2>/dev/null &
hook_pid=$!
relay_name=$name-relay
mkdir -p "$work/relay"
cat > "$work/relay/relay.json" <<JSON
{"server": {"address": "$address", "token_env": "RELAY_TOKEN",
            "tls_ca_file": "/etc/evstore/tls/ca.crt"},
 "customers": [{"customer": "smoke-customer", "sinks": [
   {"name": "smoke-hook", "type": "webhook",
    "url": "http://127.0.0.1:$hook_port/evstore", "secret_env": "HOOK_SECRET",
    "dead_letter_file": "/data/smoke-hook.dlq.jsonl"}]}]}
JSON
chmod 0755 "$work/relay" && chmod 0644 "$work/relay/relay.json"
podman run -d --name "$relay_name" --network host \
  -v "$tls:/etc/evstore/tls:ro" -v "$work/relay:/etc/evstore-relay:ro" \
  -e RELAY_TOKEN="$consumer" -e HOOK_SECRET=smoke-secret \
  --entrypoint evstore-relay "$image" --config=/etc/evstore-relay/relay.json >/dev/null
for _ in $(seq 1 300); do
  [ -s "$work/hook.jsonl" ] && break
  [ "$(podman inspect -f '{{.State.Running}}' "$relay_name")" = true ] ||
    { podman logs "$relay_name" >&2; fail "evstore-relay exited"; }
  sleep 0.2
done
grep -q '"type":"SmokeTested"' "$work/hook.jsonl" 2>/dev/null ||
  { podman logs "$relay_name" >&2; fail "the webhook got no event: $(cat "$work/hook.jsonl" 2>/dev/null)"; }
podman stop -t 30 "$relay_name" >/dev/null
status=$(podman inspect -f '{{.State.ExitCode}}' "$relay_name")
[ "$status" = 0 ] || { podman logs "$relay_name" >&2; fail "evstore-relay exit status $status after SIGTERM"; }
checkpoint=$(cli --token "$consumer" --customer smoke-customer checkpoint get \
  --output json relay:smoke-hook)
grep -q '"position":1[,}]' <<<"$checkpoint" ||
  fail "the relay's checkpoint is not at 1: $checkpoint"
kill "$hook_pid" 2>/dev/null || true

step "online backup onto the volume, beside the data dir"
podman exec "$name" mkdir -p /data/backups
backup=$(cli --token "$admin" backup /data/backups/smoke) || fail "backup: $backup"
podman exec "$name" test -f /data/backups/smoke/CURRENT || fail "no backup in /data/backups/smoke"

step "podman stop (SIGTERM): graceful exit"
podman stop -t 30 "$name" >/dev/null
status=$(podman inspect -f '{{.State.ExitCode}}' "$name")
[ "$status" = 0 ] || { podman logs "$name" >&2; fail "exit status $status after SIGTERM"; }

echo "container-smoke: PASSED ($image)"
