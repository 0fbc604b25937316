#!/usr/bin/python3
"""Measures CommitCheckpoint against a running evstored: latency of one
commit and commits/s for 1 and for N concurrent clients.

Each client commits its own checkpoint, alternating positions 1 and 2 with
allow_backwards, so every commit really writes (an equal position is a
no-op). The customer needs at least 2 events.

Usage: commit_bench.py --stubs DIR --address HOST:PORT --token T
       --customer C [--seconds 5] [--clients 1,16]
"""

import argparse
import statistics
import sys
import threading
import time


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--stubs", required=True)
    parser.add_argument("--address", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--customer", required=True)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--clients", default="1,16")
    args = parser.parse_args()
    sys.path.insert(0, args.stubs)
    import grpc
    from evstore.v1 import evstore_pb2 as pb
    from evstore.v1 import evstore_pb2_grpc as rpc

    metadata = [("authorization", "Bearer " + args.token)]

    for clients in (int(c) for c in args.clients.split(",")):
        latencies = [[] for _ in range(clients)]
        stop = time.monotonic() + args.seconds

        def run(i):
            # One channel per client: concurrent clients, not one connection.
            stub = rpc.EventStoreServiceStub(grpc.insecure_channel(
                args.address))
            n = 0
            while time.monotonic() < stop:
                request = pb.CommitCheckpointRequest(
                    customer=args.customer, name=f"bench-{clients}-{i}",
                    position=1 + n % 2, allow_backwards=True)
                start = time.monotonic()
                stub.CommitCheckpoint(request, metadata=metadata, timeout=30)
                latencies[i].append(time.monotonic() - start)
                n += 1

        threads = [threading.Thread(target=run, args=(i,))
                   for i in range(clients)]
        begin = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - begin
        all_latencies = sorted(x for l in latencies for x in l)
        total = len(all_latencies)
        p50 = all_latencies[total // 2] * 1000
        p99 = all_latencies[min(total - 1, total * 99 // 100)] * 1000
        print(f"{clients:3d} client(s): {total / elapsed:8.0f} commits/s, "
              f"latency p50 {p50:.2f} ms, p99 {p99:.2f} ms, "
              f"mean {statistics.mean(all_latencies) * 1000:.2f} ms "
              f"({total} commits in {elapsed:.1f} s)")


if __name__ == "__main__":
    main()
