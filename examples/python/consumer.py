#!/usr/bin/python3
"""A small evstore consumer in Python: resumes from a server-side checkpoint.

It subscribes to one customer's feed (optionally one partition of it),
starting after the position stored in the checkpoint NAME (or at --default
when the checkpoint does not exist yet), prints every event as one JSON line
on stdout, and commits the checkpoint every --commit-every events and once
more when it stops. Run it again and it continues where it stopped.

The position it commits is "everything up to here is processed": the last
printed event, or a caught_up/heartbeat position, which the server sends
only once every matching event before it has been delivered (so a partition
or filtered subscription keeps its checkpoint moving too).

Stubs: generated from proto/evstore/v1/evstore.proto (see README.md); pass
their directory with --stubs.

Needs Debian 12's python3-grpcio and python3-protobuf (python3-xxhash only
for --print-partition).
"""

import argparse
import json
import os
import signal
import sys


def parse_args():
    parser = argparse.ArgumentParser(
        description="Consume an evstore feed from a checkpoint; events as "
        "NDJSON on stdout.")
    parser.add_argument("--address",
                        default=os.environ.get("EVSTORE_ADDRESS",
                                               "127.0.0.1:50051"),
                        help="server address (env EVSTORE_ADDRESS)")
    parser.add_argument("--token",
                        default=os.environ.get("EVSTORE_TOKEN", ""),
                        help="consumer or admin token (env EVSTORE_TOKEN)")
    parser.add_argument("--customer",
                        default=os.environ.get("EVSTORE_CUSTOMER", ""),
                        help="customer id (env EVSTORE_CUSTOMER)")
    parser.add_argument("--checkpoint", required=True,
                        help="checkpoint name, e.g. warehouse-loader")
    parser.add_argument("--partition", default="",
                        help="INDEX/COUNT, e.g. 1/4 (default: whole feed)")
    parser.add_argument("--default", choices=["start", "end"],
                        default="start",
                        help="where to begin when the checkpoint does not "
                        "exist yet")
    parser.add_argument("--commit-every", type=int, default=100,
                        help="commit after this many events (default 100)")
    parser.add_argument("--exit-when-caught-up", action="store_true",
                        help="stop (and commit) once the feed's head is "
                        "reached, instead of following it")
    parser.add_argument("--stubs", default=os.environ.get("EVSTORE_STUBS", ""),
                        help="directory holding the generated evstore/v1 "
                        "modules (env EVSTORE_STUBS)")
    args = parser.parse_args()
    if not args.customer:
        parser.error("--customer is required")
    if args.commit_every < 1:
        parser.error("--commit-every must be at least 1")
    args.partition_index, args.partition_count = 0, 0
    if args.partition:
        try:
            index, count = (int(part) for part in args.partition.split("/"))
        except ValueError:
            parser.error("--partition: expected INDEX/COUNT, e.g. 1/4")
        args.partition_index, args.partition_count = index, count
    return args


class Consumer:
    """Subscribes from a checkpoint, prints events and commits."""

    def __init__(self, args, pb, rpc, grpc):
        self.args = args
        self.pb = pb
        self.grpc = grpc
        self.stub = rpc.EventStoreServiceStub(grpc.insecure_channel(
            args.address))
        self.metadata = ([("authorization", "Bearer " + args.token)]
                         if args.token else [])
        self.call = None  # The Subscribe call, once started.
        self.processed = None  # Everything up to this position is done.
        self.committed = None
        self.since_commit = 0

    def partition(self):
        return self.pb.Partition(index=self.args.partition_index,
                                 count=self.args.partition_count)

    def commit(self):
        """Stores self.processed in the checkpoint (durable on return)."""
        if self.processed is None or self.processed == self.committed:
            return
        request = self.pb.CommitCheckpointRequest(
            customer=self.args.customer, name=self.args.checkpoint,
            position=self.processed)
        if self.args.partition_count:
            request.partition.CopyFrom(self.partition())
        self.stub.CommitCheckpoint(request, metadata=self.metadata,
                                   timeout=30)
        self.committed = self.processed
        self.since_commit = 0

    def run(self):
        request = self.pb.SubscribeRequest(
            customer=self.args.customer, checkpoint=self.args.checkpoint,
            checkpoint_default=(self.pb.SUBSCRIBE_START_END
                                if self.args.default == "end" else
                                self.pb.SUBSCRIBE_START_BEGINNING))
        if self.args.partition_count:
            request.partition.CopyFrom(self.partition())
        self.call = self.stub.Subscribe(request, metadata=self.metadata)
        try:
            for message in self.call:
                kind = message.WhichOneof("message")
                if kind == "events":
                    for event in message.events.events:
                        self.handle(event)
                elif kind == "caught_up":
                    self.advance(message.caught_up.position)
                    if self.args.exit_when_caught_up:
                        break
                elif kind == "heartbeat":
                    self.advance(message.heartbeat.position)
        except self.grpc.RpcError as error:
            if error.code() != self.grpc.StatusCode.CANCELLED:
                raise
        finally:
            self.call.cancel()
            self.commit()

    def handle(self, event):
        """Processes one event: here, prints it as one JSON line."""
        data = event.data.decode("utf-8", errors="replace")
        line = {
            "position": event.position,
            "stream": event.stream,
            "revision": event.revision,
            "id": event.id,
            "type": event.type,
            "data": json.loads(data) if event.content_type ==
            "application/json" else data,
        }
        print(json.dumps(line, sort_keys=True, separators=(",", ":")),
              flush=True)
        self.advance(event.position)
        self.since_commit += 1
        if self.since_commit >= self.args.commit_every:
            self.commit()

    def advance(self, position):
        if self.processed is None or position > self.processed:
            self.processed = position


def main():
    args = parse_args()
    if args.stubs:
        sys.path.insert(0, args.stubs)
    import grpc  # noqa: E402  (Debian: python3-grpcio)
    from evstore.v1 import evstore_pb2 as pb  # noqa: E402
    from evstore.v1 import evstore_pb2_grpc as rpc  # noqa: E402

    consumer = Consumer(args, pb, rpc, grpc)
    # SIGTERM/SIGINT end the subscription; run() then commits and returns.
    def stop(*_):
        if consumer.call is not None:
            consumer.call.cancel()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        consumer.run()
    except grpc.RpcError as error:
        print(f"error: {error.code().name}: {error.details()}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
