#!/usr/bin/env python3
"""A webhook receiver for evstore-relay: verifies each request's signature
(docs/relay.md, "Webhook sink"), drops duplicates by the CloudEvents id, and
prints every new event as one JSON line (or appends it to --out).

    python3 examples/webhook/receiver.py --port 8080 --secret change-me
    WEBHOOK_SECRET=... python3 examples/webhook/receiver.py --port 8080

(--secret is visible to other users in `ps`; the environment variable is
not.)

Answers 204 to a verified event (also to a duplicate: it was delivered
before), 401 to a bad or stale signature (the relay dead-letters it), 400 to
a body that is not a CloudEvent. The duplicate check keeps ids in memory: a
real receiver stores the ids (or the highest evstoreposition) with the
effect of the event, in the same transaction.
"""
import argparse
import hashlib
import hmac
import http.server
import json
import os
import sys
import time

MAX_SKEW_SECONDS = 300  # Older timestamps are replays.


def signature_ok(secret, timestamp, body, signature):
    try:
        age = abs(time.time() - int(timestamp))
    except (TypeError, ValueError):
        return False
    if age > MAX_SKEW_SECONDS:
        return False
    expected = "v1=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body,
                                hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature or "")


def make_handler(secret, out):
    seen = set()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            if not signature_ok(secret, self.headers.get("X-Evstore-Timestamp"),
                                body, self.headers.get("X-Evstore-Signature")):
                return self.reply(401)
            try:
                event = json.loads(body)
                event_id = event["id"]
            except (ValueError, KeyError, TypeError):
                return self.reply(400)
            if event_id not in seen:
                seen.add(event_id)
                out.write(json.dumps(event, separators=(",", ":")) + "\n")
                out.flush()
            self.reply(204)

        def reply(self, status):
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--bind", default="127.0.0.1")
    parser.add_argument("--secret", default=os.environ.get("WEBHOOK_SECRET"),
                        help="the sink's HMAC secret (default: $WEBHOOK_SECRET)")
    parser.add_argument("--out", help="append events here instead of stdout")
    args = parser.parse_args()
    if not args.secret:
        parser.error("give --secret or set WEBHOOK_SECRET")
    out = open(args.out, "a") if args.out else sys.stdout
    server = http.server.ThreadingHTTPServer(
        (args.bind, args.port), make_handler(args.secret, out))
    print(f"receiving on http://{args.bind}:{args.port}/", file=sys.stderr)
    server.serve_forever()


if __name__ == "__main__":
    main()
