# The evstore container image: evstored (and the evstore CLI, for `kubectl
# exec` and health checks; and evstore-relay, run with
# `--entrypoint evstore-relay`, docs/relay.md) on debian:bookworm-slim, built
# from source on debian:bookworm with Debian's packages only. See
# docs/operations.md.
#
#   podman build --network host --pull=never -t evstore .   (or docker build)
#   scripts/container-smoke.sh                               (build, run, check)
#
# Defaults (environment, EVSTORE_<FLAG> for every flag; the command line
# wins): listens on 0.0.0.0:50051 (gRPC), metrics on 0.0.0.0:9464 (the
# --metrics_address flag), data in /data/db on the /data volume (backups
# can go beside it, e.g. /data/backups/<name>), runs as uid 10001.
#
# Transport security is the caller's explicit choice: evstored refuses
# plaintext on 0.0.0.0 (exit 2, naming both ways out), so a run must give
#   TLS:        --tls_cert /etc/evstore/tls/tls.crt --tls_key /etc/evstore/tls/tls.key
#               (mounted files; or EVSTORE_TLS_CERT / EVSTORE_TLS_KEY), or
#   plaintext:  --allow_insecure (a trusted network, a mesh that encrypts, or
#               a test on the host's loopback).
# There is no silent default either way.
#
# For probes that cannot speak TLS (Kubernetes' native gRPC probes), add
# --health_listen 0.0.0.0:50052: the health service alone, in plaintext
# (k8s/ does, through EVSTORE_HEALTH_LISTEN).

FROM debian:bookworm AS build
# Build threads (the machine that builds may be shared).
ARG BUILD_JOBS=2
# The package list is the project's own (install-deps.sh --build-only).
COPY scripts/install-deps.sh scripts/apt-install-missing.sh /src/scripts/
RUN /src/scripts/install-deps.sh --build-only && rm -rf /var/lib/apt/lists/*
COPY . /src
WORKDIR /src
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DEVSTORE_BUILD_TESTS=OFF \
 && cmake --build /build --parallel "${BUILD_JOBS}" \
      --target evstored evstore evstore-relay \
 && mkdir -p /out \
 && objcopy --strip-debug /build/server/evstored /out/evstored \
 && objcopy --strip-debug /build/client/evstore /out/evstore \
 && objcopy --strip-debug /build/relay/evstore-relay /out/evstore-relay \
 && scripts/runtime-packages.sh /out/evstored /out/evstore /out/evstore-relay \
      > /out/runtime-packages.txt

FROM debian:bookworm-slim
# Only the shared libraries the three binaries load (found with ldd + dpkg -S
# in the build stage, so the list follows the code), plus the CA store that
# librdkafka (SASL_SSL to Event Hubs) and libcurl (https webhooks) verify
# servers with.
COPY --from=build /out/runtime-packages.txt /tmp/runtime-packages.txt
RUN apt-get update -qq \
 && xargs apt-get install -y -qq --no-install-recommends ca-certificates \
      < /tmp/runtime-packages.txt \
 && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages.txt \
 && groupadd --system --gid 10001 evstore \
 && useradd --system --uid 10001 --gid 10001 --home-dir /data --no-create-home \
      --shell /usr/sbin/nologin evstore \
 && mkdir -p /data && chown 10001:10001 /data && chmod 0700 /data
COPY --from=build /out/evstored /out/evstore /out/evstore-relay /usr/local/bin/
USER 10001:10001
WORKDIR /data
ENV EVSTORE_LISTEN=0.0.0.0:50051 \
    EVSTORE_DATA_DIR=/data/db \
    EVSTORE_METRICS_ADDRESS=0.0.0.0:9464
VOLUME ["/data"]
# 50051: gRPC (EventStoreService, AdminService, grpc.health.v1).
# 9464: Prometheus metrics, GET /metrics (plaintext HTTP, no token).
EXPOSE 50051 9464
# SIGTERM (podman stop, Kubernetes) shuts down gracefully.
STOPSIGNAL SIGTERM
ENTRYPOINT ["evstored"]
