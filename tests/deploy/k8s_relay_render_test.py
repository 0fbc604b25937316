#!/usr/bin/env python3
"""Renders k8s/relay/ with `kubectl kustomize` and checks that the
evstore-relay Deployment can run the configuration it ships: the relay's
command and --config path on the mounted ConfigMap, every secret variable the
configuration names provided from a Secret, every file it names on a mounted
volume (the CA from evstore-tls, the dead letters on the PVC), the metrics
port on the container, the probes, the Service and the ServiceMonitor; the
alert rules (`promtool check rules` and `promtool test rules` with
relay_alerts_test.yaml when promtool is installed, every evstore_relay_*
name they use listed in docs/relay.md's Metrics table, the down alert on the
ServiceMonitor's job); one replica with Recreate; evstored's security
context; the evstore client label that evstore's NetworkPolicy admits; the
relay's NetworkPolicy lets out DNS, evstored and every sink's port. The
server address must name evstore's client Service. k8s/ itself must not
include the relay (it is opt-in).

With --relay-binary PATH (CTest passes the built evstore-relay), the rendered
configuration is also parsed by the relay itself (`evstore-relay
dead-letters`, dead-letter paths moved to a temporary directory), which
rejects unknown keys and missing secrets' names.

Usage: k8s_relay_render_test.py REPO_ROOT [--relay-binary PATH]
Exits 0 when every check passes, 1 naming the failures, 77 (CTest: skipped)
when kubectl or PyYAML is missing.
"""
import json
import os
import posixpath
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.parse

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from k8s_render_test import (check, check_promtool_rules,  # noqa: E402
                             failures, one, render, selects)
import yaml  # noqa: E402  (k8s_render_test exits 77 without it)

CONFIG_FLAG = "--config="


def json_members(value):
    """Every (key, value) of every object in a JSON value, depth first."""
    if isinstance(value, dict):
        for key, member in value.items():
            yield key, member
            yield from json_members(member)
    elif isinstance(value, list):
        for item in value:
            yield from json_members(item)


def secret_variables(config):
    """The environment variables the configuration takes secrets from:
    token_env / secret_env and secret_properties' {"env": ...}."""
    return {v for k, v in json_members(config)
            if isinstance(v, str) and (k.endswith("_env") or k == "env")}


def file_paths(config):
    """Every file the configuration names: tls_ca_file, token_file,
    secret_file, {"file": ...} and dead_letter_file."""
    return {v for k, v in json_members(config)
            if isinstance(v, str) and (k.endswith("_file") or k == "file")}


def under(path, directory):
    return path.startswith(directory.rstrip("/") + "/")


def mount_holding(path, mounts):
    """The volumeMount (the deepest) whose directory holds `path`."""
    holding = [m for m in mounts if under(path, m["mountPath"])]
    return max(holding, key=lambda m: len(m["mountPath"]), default=None)


def projected_key(volume, relative):
    """The ConfigMap or Secret key a configMap / secret volume shows at
    `relative` (all keys by name without items, only the items with them);
    None when the volume shows nothing there."""
    source = volume.get("configMap") or volume.get("secret") or {}
    items = source.get("items")
    if items is None:
        return relative if "/" not in relative else None
    for item in items:
        if item.get("path") == relative:
            return item.get("key")
    return None


def port_number(port, container):
    """A probe's or Service's port (a number or a container port's name)."""
    if isinstance(port, int):
        return port
    return {p["name"]: p["containerPort"]
            for p in container.get("ports", [])}.get(port)


def check_deployment(objects):
    deployment = one(objects, "Deployment", "evstore-relay")
    spec = deployment.get("spec", {})
    template = spec.get("template", {})
    labels = template.get("metadata", {}).get("labels", {})
    pod = template.get("spec", {})
    check(spec.get("replicas") == 1, "the relay Deployment is not 1 replica")
    check(spec.get("strategy", {}).get("type") == "Recreate",
          "the relay Deployment's strategy is not Recreate (two relays on "
          "one checkpoint deliver everything twice)")
    check(selects(spec.get("selector", {}).get("matchLabels"), labels),
          "the relay Deployment's selector does not match its pod labels")
    check(labels.get("evstore-client") == "true",
          "the relay pod lacks the label evstore-client=true")
    grace = pod.get("terminationGracePeriodSeconds")
    check(grace is not None and 10 <= grace <= 60,
          f"terminationGracePeriodSeconds {grace} is not 10 to 60")
    containers = pod.get("containers", [])
    check(len(containers) == 1, "the relay pod has not exactly one container")
    container = containers[0] if containers else {}
    check(container.get("image", "").split(":")[0].endswith("evstore"),
          "the relay container does not run the evstore image")
    check(container.get("command") == ["evstore-relay"],
          "the relay container's command is not [evstore-relay] (the "
          "image's ENTRYPOINT is evstored)")
    resources = container.get("resources", {})
    for part in ("requests", "limits"):
        for resource in ("cpu", "memory"):
            check(resource in resources.get(part, {}),
                  f"no {resource} in the relay's resources.{part}")
    return deployment, labels, pod, container


def load_config(objects, pod, container):
    """The relay.json the container reads: --config on a mounted ConfigMap
    that this kustomization renders."""
    args = container.get("args", [])
    paths = [a[len(CONFIG_FLAG):] for a in args if a.startswith(CONFIG_FLAG)]
    if not check(len(paths) == 1 and len(args) == 1,
                 f"the relay's args are not one --config=PATH: {args}"):
        return None
    path = paths[0]
    mounts = container.get("volumeMounts", [])
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    mount = mount_holding(path, mounts)
    if not check(mount is not None, f"--config {path} is on no mounted "
                 "volume"):
        return None
    volume = volumes.get(mount["name"], {})
    name = volume.get("configMap", {}).get("name")
    key = projected_key(volume, posixpath.relpath(path, mount["mountPath"]))
    config_maps = [o for o in objects if o["kind"] == "ConfigMap" and
                   o["metadata"]["name"] == name]
    if not check(len(config_maps) == 1 and key in config_maps[0].get(
            "data", {}), f"--config {path} is not a key of a ConfigMap this "
            f"kustomization renders (volume {mount['name']}, ConfigMap "
            f"{name}, key {key})"):
        return None
    try:
        return json.loads(config_maps[0]["data"][key])
    except json.JSONDecodeError as error:
        check(False, f"the relay configuration is not JSON: {error}")
        return None


def check_secrets_and_files(objects, config, pod, container):
    env = {e["name"]: e for e in container.get("env", [])}
    for variable in sorted(secret_variables(config)):
        source = env.get(variable, {}).get("valueFrom", {}).get(
            "secretKeyRef", {})
        check(source.get("name") and source.get("key") and
              not source.get("optional", False),
              f"the configuration reads ${variable}, which the container "
              "does not take from a Secret (required secretKeyRef)")

    mounts = container.get("volumeMounts", [])
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    for path in sorted(file_paths(config)):
        mount = mount_holding(path, mounts)
        if not check(mount is not None,
                     f"{path} (in the configuration) is on no mounted volume"):
            continue
        volume = volumes.get(mount["name"], {})
        if "configMap" in volume or "secret" in volume:
            check(projected_key(volume, posixpath.relpath(
                path, mount["mountPath"])) is not None,
                f"{path}: volume {mount['name']} does not show that file")

    ca_file = config.get("server", {}).get("tls_ca_file", "")
    mount = mount_holding(ca_file, mounts) if ca_file else None
    secret = volumes.get(mount["name"], {}).get("secret", {}) if mount else {}
    check(secret.get("secretName") == "evstore-tls" and
          projected_key({"secret": secret}, posixpath.relpath(
              ca_file, mount["mountPath"])) == "ca.crt",
          f"server.tls_ca_file ({ca_file or 'unset'}) is not ca.crt of the "
          "mounted Secret evstore-tls (evstored serves TLS)")
    check(secret.get("items") is not None and
          all(i.get("key") == "ca.crt" for i in secret.get("items") or []),
          "the relay mounts more of evstore-tls than ca.crt (the server's "
          "private key does not belong in the relay)")

    claims = {o["metadata"]["name"]: o for o in objects
              if o["kind"] == "PersistentVolumeClaim"}
    dead_letters = [v for k, v in json_members(config)
                    if k == "dead_letter_file"]
    check(dead_letters, "the configuration has no webhook sink with a "
          "dead_letter_file")
    for path in dead_letters:
        mount = mount_holding(path, mounts)
        claim = (volumes.get(mount["name"], {}).get(
            "persistentVolumeClaim", {}).get("claimName") if mount else None)
        check(claim in claims and not mount.get("readOnly", False),
              f"dead_letter_file {path} is not on a writable mount of a "
              "PersistentVolumeClaim this kustomization renders")
        if claim in claims:
            check("ReadWriteOnce" in claims[claim]["spec"].get(
                "accessModes", []), f"PVC {claim} is not ReadWriteOnce")


def check_metrics(objects, config, pod_labels, container):
    metrics_port = config.get("metrics_port")
    check(isinstance(metrics_port, int) and metrics_port > 0,
          "the configuration has no metrics_port")
    check(port_number("metrics", container) == metrics_port,
          f"the container port named metrics is not metrics_port "
          f"{metrics_port}")
    for name in ("readinessProbe", "livenessProbe"):
        probe = container.get(name, {}).get("httpGet", {})
        check(probe.get("path") == "/metrics" and
              port_number(probe.get("port"), container) == metrics_port,
              f"{name} is not GET /metrics on metrics_port {metrics_port}")

    service = one(objects, "Service", "evstore-relay")
    spec = service.get("spec", {})
    check(selects(spec.get("selector"), pod_labels),
          "Service evstore-relay does not select the relay pod")
    ports = {p.get("name"): p for p in spec.get("ports", [])}
    check(port_number(ports.get("metrics", {}).get("targetPort"),
                      container) == metrics_port,
          "Service evstore-relay has no port metrics to metrics_port")
    monitor = one(objects, "ServiceMonitor", "evstore-relay")
    check(selects(monitor.get("spec", {}).get("selector", {}).get(
        "matchLabels"), service.get("metadata", {}).get("labels", {})),
        "the relay ServiceMonitor does not select Service evstore-relay")
    for endpoint in monitor.get("spec", {}).get("endpoints", []):
        check(endpoint.get("port") in ports and
              endpoint.get("path") == "/metrics",
              f"relay ServiceMonitor endpoint {endpoint} is not the metrics "
              "port")


def check_security(pod, container, evstore):
    sts = one(evstore, "StatefulSet", "evstore")
    server_pod = sts.get("spec", {}).get("template", {}).get("spec", {})
    server = server_pod.get("containers", [{}])[0]
    check(pod.get("securityContext") == server_pod.get("securityContext"),
          "the relay pod's securityContext differs from evstored's")
    check(container.get("securityContext") == server.get("securityContext"),
          "the relay container's securityContext differs from evstored's")
    for key in ("automountServiceAccountToken", "enableServiceLinks"):
        check(pod.get(key) is False, f"the relay pod does not set {key}: "
              "false")


def sink_ports(config):
    """The TCP ports of every sink's endpoints: Kafka bootstrap servers and
    webhook URLs."""
    ports = set()
    for key, value in json_members(config):
        if key == "bootstrap.servers":
            for server in value.split(","):
                ports.add(int(server.strip().rsplit(":", 1)[1]))
        elif key == "url":
            url = urllib.parse.urlsplit(value)
            ports.add(url.port or {"https": 443, "http": 80}[url.scheme])
    return ports


def allows(rule, port, protocol="TCP"):
    return not rule.get("ports") or any(
        p.get("port") == port and p.get("protocol", "TCP") == protocol
        for p in rule["ports"])


def check_network(objects, config, pod_labels, container, evstore):
    server_labels = one(evstore, "StatefulSet", "evstore").get(
        "spec", {}).get("template", {}).get("metadata", {}).get("labels", {})
    client_service = one(evstore, "Service", "evstore")
    host, _, port = config.get("server", {}).get("address", "").rpartition(
        ":")
    labels = host.split(".")
    grpc_ports = [p["port"] for p in client_service.get("spec", {}).get(
        "ports", []) if p.get("name") == "grpc"]
    check(len(labels) >= 3 and labels[0] == client_service["metadata"]["name"]
          and labels[2] == "svc" and port.isdigit() and
          int(port) in grpc_ports,
          f"server.address {host}:{port} is not the client Service "
          f"<{client_service['metadata']['name']}>.<namespace>.svc:"
          f"{grpc_ports}")

    # evstore's policy admits the relay's gRPC.
    evstore_policy = one(evstore, "NetworkPolicy", "evstore")
    check(any(selects(peer.get("podSelector", {}).get("matchLabels"),
                      pod_labels)
              for rule in evstore_policy.get("spec", {}).get("ingress", [])
              if any(p.get("port") == "grpc" for p in rule.get("ports", []))
              for peer in rule.get("from", [])),
          "evstore's NetworkPolicy does not admit the relay pod's gRPC")

    policy = one(objects, "NetworkPolicy", "evstore-relay")
    spec = policy.get("spec", {})
    check(selects(spec.get("podSelector", {}).get("matchLabels"), pod_labels),
          "the relay NetworkPolicy does not select the relay pod")
    check(set(spec.get("policyTypes", [])) == {"Ingress", "Egress"},
          "the relay NetworkPolicy does not restrict both directions")
    metrics_port = config.get("metrics_port")
    for rule in spec.get("ingress", []):
        check(rule.get("ports") and all(
            port_number(p.get("port"), container) == metrics_port
            for p in rule["ports"]),
            f"the relay NetworkPolicy lets in more than metrics: {rule}")
    egress = spec.get("egress", [])
    anywhere = [r for r in egress if not r.get("to")]
    for protocol in ("UDP", "TCP"):
        check(any(allows(r, 53, protocol) for r in anywhere),
              f"the relay NetworkPolicy does not let out DNS ({protocol} 53)")
    server_port = int(port) if port.isdigit() else None
    check(any(allows(r, server_port) and any(
              selects(peer.get("podSelector", {}).get("matchLabels"),
                      server_labels) for peer in r.get("to", []))
              for r in egress),
          f"the relay NetworkPolicy does not let out gRPC to the evstored "
          f"pods on {server_port}")
    for sink_port in sorted(sink_ports(config)):
        check(any(allows(r, sink_port) for r in anywhere),
              f"the relay NetworkPolicy does not let out TCP {sink_port}, "
              "a sink's port")


RELAY_ALERTS = ("EvstoreRelayDown", "EvstoreRelayLoopStopped",
                "EvstoreRelayNoDelivery", "EvstoreRelayLagHigh",
                "EvstoreRelayDeadLetters")


def documented_relay_metrics(root):
    """The series names of docs/relay.md's Metrics table (the histogram also
    as _bucket, _sum and _count)."""
    with open(f"{root}/docs/relay.md") as f:
        names = set(re.findall(r"^\| `(evstore_relay_[a-z_]+)`", f.read(),
                               re.M))
    for name in list(names):
        if name.endswith("_seconds"):
            names.update({name + "_bucket", name + "_sum", name + "_count"})
    return names


def promtool_test_rules(groups, root):
    """`promtool test rules` of tests/deploy/relay_alerts_test.yaml against
    the rendered rules: each alert fires, and stays quiet, where it should."""
    promtool = shutil.which("promtool")
    if promtool is None:
        return
    with open(f"{root}/tests/deploy/relay_alerts_test.yaml") as f:
        tests = yaml.safe_load(f)
    # promtool compares an alert's annotations verbatim: the cases check
    # when and with which labels an alert fires, not its prose.
    bare = [{**g, "rules": [{k: v for k, v in r.items() if k != "annotations"}
                            for r in g.get("rules", [])]} for g in groups]
    with tempfile.TemporaryDirectory() as directory:
        tests["rule_files"] = ["rules.yaml"]
        with open(os.path.join(directory, "rules.yaml"), "w") as f:
            yaml.safe_dump({"groups": bare}, f)
        with open(os.path.join(directory, "test.yaml"), "w") as f:
            yaml.safe_dump(tests, f)
        result = subprocess.run([promtool, "test", "rules", "test.yaml"],
                                cwd=directory, capture_output=True, text=True,
                                timeout=60)
    check(result.returncode == 0, f"promtool test rules failed:\n"
          f"{result.stdout}{result.stderr}")


def check_alerts(root, objects):
    known = documented_relay_metrics(root)
    check(len(known) >= 6,
          f"docs/relay.md's Metrics table lists only {sorted(known)}")
    rules = one(objects, "PrometheusRule", "evstore-relay")
    groups = rules.get("spec", {}).get("groups", [])
    alerts = {r.get("alert"): r for g in groups for r in g.get("rules", [])}
    for name in RELAY_ALERTS:
        check(name in alerts, f"no alert {name} in the relay PrometheusRule")
    for name, rule in alerts.items():
        expr = str(rule.get("expr", ""))
        check(name and expr and rule.get("labels", {}).get("severity") and
              rule.get("annotations", {}).get("description"),
              f"rule {name} lacks alert, expr, severity or description")
        for metric in sorted(set(re.findall(r"\bevstore_relay_[a-z_]+", expr))
                             - known):
            check(False, f"rule {name} uses {metric}, which docs/relay.md's "
                  "Metrics table does not list (the relay does not export it)")
    # The Prometheus Operator names a ServiceMonitor's job after the Service
    # (no jobLabel here).
    monitor = one(objects, "ServiceMonitor", "evstore-relay")
    services = [o["metadata"]["name"] for o in objects
                if o["kind"] == "Service" and selects(
                    monitor.get("spec", {}).get("selector", {}).get(
                        "matchLabels"), o["metadata"].get("labels", {}))]
    check("jobLabel" not in monitor.get("spec", {}) and len(services) == 1 and
          f'up{{job="{services[0]}"}}' in str(
              alerts.get("EvstoreRelayDown", {}).get("expr", "")),
          f"EvstoreRelayDown does not watch up of the ServiceMonitor's job "
          f"{services}")
    check_promtool_rules(groups)
    promtool_test_rules(groups, root)


def check_with_relay(binary, config):
    """The relay's own parser accepts the configuration."""
    if not os.access(binary, os.X_OK):
        print(f"note: {binary} is not built; the relay's parser not run")
        return
    with tempfile.TemporaryDirectory() as directory:
        for customer in config.get("customers", []):
            for sink in customer.get("sinks", []):
                if "dead_letter_file" in sink:
                    sink["dead_letter_file"] = os.path.join(
                        directory, os.path.basename(sink["dead_letter_file"]))
        path = os.path.join(directory, "relay.json")
        with open(path, "w") as f:
            json.dump(config, f)
        result = subprocess.run([binary, "dead-letters", CONFIG_FLAG + path],
                                capture_output=True, text=True, timeout=60)
    check(result.returncode == 0,
          f"evstore-relay refuses the configuration (exit "
          f"{result.returncode}): {result.stderr.strip()}")


def main():
    args = sys.argv[1:]
    binary = None
    if "--relay-binary" in args:
        index = args.index("--relay-binary")
        binary = args[index + 1]
        del args[index:index + 2]
    root = args[0] if args else "."
    objects = render(root, "k8s/relay")
    evstore = render(root, "k8s")
    check(not [o for o in evstore
               if o["metadata"]["name"].startswith("evstore-relay")],
          "k8s/ renders relay objects (the relay must stay opt-in)")
    _, pod_labels, pod, container = check_deployment(objects)
    check_security(pod, container, evstore)
    check_alerts(root, objects)
    config = load_config(objects, pod, container)
    if config is not None:
        check_secrets_and_files(objects, config, pod, container)
        check_metrics(objects, config, pod_labels, container)
        check_network(objects, config, pod_labels, container, evstore)
        if binary:
            check_with_relay(binary, config)
    if failures:
        print("FAILED:\n  " + "\n  ".join(failures))
        return 1
    print(f"k8s/relay/ renders {len(objects)} objects; every check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
