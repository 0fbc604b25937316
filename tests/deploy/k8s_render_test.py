#!/usr/bin/env python3
"""Renders k8s/ with `kubectl kustomize` and checks what an evstore deployment
must have: a StatefulSet with the data volume at the data dir, the gRPC and
metrics ports, health probes, resources, a non-root read-only security
context and a grace period longer than the shutdown timeout; Services,
PodDisruptionBudget, NetworkPolicy and ServiceMonitor that select what they
should; alert rules and the Grafana dashboard; and that the Dockerfile's
user and ports agree with the manifests.

Usage: k8s_render_test.py REPO_ROOT
Exits 0 when every check passes, 1 naming the failures, 77 (CTest: skipped)
when kubectl or PyYAML is missing.
"""
import json
import re
import shutil
import subprocess
import sys
import tempfile

SKIP = 77

try:
    import yaml
except ImportError:
    print("SKIPPED: PyYAML is not installed (Debian: python3-yaml)")
    sys.exit(SKIP)

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
    return condition


def render(root, directory="k8s"):
    """The objects of `kubectl kustomize ROOT/DIRECTORY`."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        print("SKIPPED: kubectl is not installed (not a Debian 12 package); "
              f"install it to render {directory}/")
        sys.exit(SKIP)
    result = subprocess.run([kubectl, "kustomize", f"{root}/{directory}"],
                            capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        print(f"FAILED: kubectl kustomize {directory}/ exited "
              f"{result.returncode}:\n{result.stderr}")
        sys.exit(1)
    return [d for d in yaml.safe_load_all(result.stdout) if d]


def one(objects, kind, name=None):
    matches = [o for o in objects if o["kind"] == kind and
               (name is None or o["metadata"]["name"] == name)]
    check(len(matches) == 1,
          f"expected one {kind} {name or ''}, found {len(matches)}")
    return matches[0] if matches else {}


def selects(selector, labels):
    return bool(selector) and all(labels.get(k) == v
                                  for k, v in selector.items())


def duration_seconds(text):
    match = re.fullmatch(r"(\d+)s", text)
    return int(match.group(1)) if match else None


def check_statefulset(objects):
    sts = one(objects, "StatefulSet", "evstore")
    spec = sts["spec"]
    pod = spec["template"]["spec"]
    labels = spec["template"]["metadata"]["labels"]
    check(selects(spec["selector"]["matchLabels"], labels),
          "StatefulSet selector does not match its pod labels")
    container = pod["containers"][0]

    config = one(objects, "ConfigMap", "evstore-config").get("data", {})
    check(any(e.get("configMapRef", {}).get("name") == "evstore-config"
              for e in container.get("envFrom", [])),
          "evstored does not take its flags from ConfigMap evstore-config")
    check(config.get("EVSTORE_LISTEN") == "0.0.0.0:50051",
          "EVSTORE_LISTEN is not 0.0.0.0:50051")
    plaintext = str(config.get("EVSTORE_ALLOW_INSECURE", "")).lower() == "true"
    check(plaintext or ("EVSTORE_TLS_CERT" in config and
                        "EVSTORE_TLS_KEY" in config),
          "neither TLS nor EVSTORE_ALLOW_INSECURE: evstored would refuse "
          "0.0.0.0")

    # Data volume: a claim template mounted at or above the data dir (a
    # subdirectory keeps the file system's lost+found out of it and leaves
    # room on the volume for backups).
    data_dir = str(config.get("EVSTORE_DATA_DIR"))
    mounts = {m["name"]: m for m in container.get("volumeMounts", [])}
    claims = [t["metadata"]["name"] for t in spec.get("volumeClaimTemplates", [])]
    check("data" in claims, "no volumeClaimTemplate named data")
    mount = mounts.get("data", {}).get("mountPath", "")
    check(mount and (data_dir == mount or
                     data_dir.startswith(mount.rstrip("/") + "/")),
          f"the data claim is not mounted at or above EVSTORE_DATA_DIR "
          f"({data_dir})")
    # TLS files come from the mounted Secret.
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    tls_dir = mounts.get("tls", {}).get("mountPath", "<none>")
    check(volumes.get("tls", {}).get("secret", {}).get("secretName") ==
          "evstore-tls", "no volume from Secret evstore-tls")
    for key in ("EVSTORE_TLS_CERT", "EVSTORE_TLS_KEY", "EVSTORE_TLS_CA"):
        check(str(config.get(key, "")).startswith(tls_dir + "/"),
              f"{key} is not in the mounted TLS Secret ({tls_dir})")

    ports = {p["name"]: p["containerPort"] for p in container.get("ports", [])}
    check(ports.get("grpc") == 50051, "no container port grpc 50051")
    check(ports.get("metrics") == 9464, "no container port metrics 9464")
    check(config.get("EVSTORE_METRICS_ADDRESS") == "0.0.0.0:9464",
          "EVSTORE_METRICS_ADDRESS is not 0.0.0.0:9464")

    # Native gRPC probes: on the gRPC port when it is plaintext, else on the
    # plaintext health-only listener (the kubelet's probe has no TLS).
    health_listen = str(config.get("EVSTORE_HEALTH_LISTEN", ""))
    health_port = (int(health_listen.rsplit(":", 1)[1]) if health_listen
                   else ports.get("grpc") if plaintext else None)
    check(health_port is not None,
          "TLS on the gRPC port and no EVSTORE_HEALTH_LISTEN: native gRPC "
          "probes cannot reach the health service")
    check(not health_listen or ports.get("health") == health_port,
          "no container port health at EVSTORE_HEALTH_LISTEN's port")
    for probe_name in ("startupProbe", "readinessProbe", "livenessProbe"):
        probe = container.get(probe_name)
        if not check(probe is not None, f"no {probe_name}"):
            continue
        check(probe.get("grpc", {}).get("port") == health_port,
              f"{probe_name} is not a native gRPC probe of port {health_port}")

    resources = container.get("resources", {})
    for part in ("requests", "limits"):
        for resource in ("cpu", "memory"):
            check(resource in resources.get(part, {}),
                  f"no {resource} in resources.{part}")

    pod_security = pod.get("securityContext", {})
    security = container.get("securityContext", {})
    check(pod_security.get("runAsNonRoot") is True, "pod runAsNonRoot unset")
    check(pod_security.get("runAsUser", 0) != 0, "pod runs as root")
    check(security.get("readOnlyRootFilesystem") is True,
          "root filesystem is writable")
    check(security.get("allowPrivilegeEscalation") is False,
          "privilege escalation allowed")
    check(security.get("capabilities", {}).get("drop") == ["ALL"],
          "capabilities are not all dropped")

    timeout = duration_seconds(str(config.get("EVSTORE_SHUTDOWN_TIMEOUT", "")))
    grace = pod.get("terminationGracePeriodSeconds", 30)
    if check(timeout is not None,
             "EVSTORE_SHUTDOWN_TIMEOUT is not a whole number of seconds"):
        check(timeout < grace <= timeout + 30,
              f"terminationGracePeriodSeconds {grace} does not leave a small "
              f"margin over the shutdown timeout {timeout}s")
    return sts, labels, pod_security.get("runAsUser")


def check_services(objects, sts, pod_labels):
    client = one(objects, "Service", "evstore")
    headless = one(objects, "Service", sts["spec"]["serviceName"])
    check(headless.get("spec", {}).get("clusterIP") == "None",
          "the StatefulSet's serviceName is not a headless Service")
    for service in (client, headless):
        spec = service.get("spec", {})
        name = service.get("metadata", {}).get("name")
        check(selects(spec.get("selector"), pod_labels),
              f"Service {name} does not select the evstore pods")
        check(any(p["port"] == 50051 and p.get("targetPort") == "grpc"
                  for p in spec.get("ports", [])),
              f"Service {name} has no port 50051 -> grpc")

    pdb = one(objects, "PodDisruptionBudget", "evstore")
    check(selects(pdb["spec"]["selector"]["matchLabels"], pod_labels),
          "the PodDisruptionBudget does not select the evstore pods")

    policy = one(objects, "NetworkPolicy", "evstore")
    check(selects(policy["spec"]["podSelector"]["matchLabels"], pod_labels),
          "the NetworkPolicy does not select the evstore pods")
    allowed = {p["port"] for rule in policy["spec"].get("ingress", [])
               for p in rule.get("ports", [])}
    check({"grpc", "metrics"} <= allowed,
          f"the NetworkPolicy lets in only {sorted(allowed)}")

    monitor = one(objects, "ServiceMonitor", "evstore")
    check(selects(monitor["spec"]["selector"]["matchLabels"],
                  headless["metadata"]["labels"]),
          "the ServiceMonitor does not select the headless Service")
    headless_ports = {p["name"] for p in headless["spec"]["ports"]}
    for endpoint in monitor["spec"]["endpoints"]:
        check(endpoint["port"] in headless_ports and
              endpoint.get("path") == "/metrics",
              f"ServiceMonitor endpoint {endpoint} is not the metrics port")


def documented_metrics(root):
    """The series names of docs/metrics.md's tables (histograms also as
    _bucket, _sum and _count), plus the process_* series it lists."""
    with open(f"{root}/docs/metrics.md") as f:
        names = set(re.findall(r"^\| `([a-z_]+)`", f.read(), re.M))
    for name in list(names):
        names.update({name + "_bucket", name + "_sum", name + "_count"})
    return names


def metrics_used(expr):
    return set(re.findall(r"\b((?:evstore|process)_[a-z_]+)", expr))


def check_promtool_rules(groups):
    """`promtool check rules` parses every PromQL expression (skipped when
    promtool is missing; scripts/install-deps.sh installs it)."""
    promtool = shutil.which("promtool")
    if promtool is None:
        print("note: promtool not installed; PromQL not parsed")
        return
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
        yaml.safe_dump({"groups": groups}, f)
        f.flush()
        result = subprocess.run([promtool, "check", "rules", f.name],
                                capture_output=True, text=True, timeout=60)
    check(result.returncode == 0,
          f"promtool check rules failed:\n{result.stdout}{result.stderr}")


def check_rules_and_dashboard(root, objects):
    known = documented_metrics(root)
    check(len(known) > 20, f"docs/metrics.md lists only {len(known)} series")
    rules = one(objects, "PrometheusRule", "evstore")
    groups = rules.get("spec", {}).get("groups", [])
    alerts = [r for g in groups for r in g["rules"]]
    check(len(alerts) >= 5, f"only {len(alerts)} alert rules")
    for rule in alerts:
        check(rule.get("alert") and rule.get("expr") and
              rule.get("labels", {}).get("severity"),
              f"rule {rule.get('alert')} lacks alert, expr or severity")
        for metric in metrics_used(str(rule.get("expr", ""))) - known:
            check(False, f"rule {rule.get('alert')} uses {metric}, which "
                  "docs/metrics.md does not list (evstored does not export it)")
    check_promtool_rules(groups)
    dashboards = one(objects, "ConfigMap", "evstore-grafana-dashboard")
    check(dashboards.get("metadata", {}).get("labels", {})
          .get("grafana_dashboard") == "1",
          "the dashboard ConfigMap lacks the grafana_dashboard label")
    for name, text in dashboards.get("data", {}).items():
        dashboard = json.loads(text)
        exprs = [t["expr"] for p in dashboard["panels"]
                 for t in p.get("targets", [])]
        for expr in exprs:
            for metric in metrics_used(expr) - known:
                check(False, f"dashboard {name} uses {metric}, which "
                      "docs/metrics.md does not list")
        for metric in ("evstore_append_requests_total",
                       "evstore_append_duration_seconds_bucket",
                       "evstore_wal_fsync_duration_seconds_bucket",
                       "evstore_subscription_lag_max_events",
                       "evstore_subscriptions_active",
                       "evstore_storage_sst_bytes"):
            check(any(metric in e for e in exprs),
                  f"dashboard {name} has no panel over {metric}")


def check_dockerfile(root, run_as_user):
    with open(f"{root}/Dockerfile") as f:
        dockerfile = f.read()
    user = re.search(r"^USER\s+(\d+)", dockerfile, re.M)
    check(user is not None and int(user.group(1)) == run_as_user,
          "the Dockerfile's USER differs from the pod's runAsUser")
    exposed = re.search(r"^EXPOSE\s+(.+)$", dockerfile, re.M)
    check(exposed is not None and
          {"50051", "9464"} <= set(exposed.group(1).split()),
          "the Dockerfile does not EXPOSE 50051 and 9464")
    check(re.search(r'^ENTRYPOINT \["evstored"\]', dockerfile, re.M),
          "the Dockerfile's ENTRYPOINT is not [\"evstored\"]")


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    objects = render(root)
    sts, pod_labels, run_as_user = check_statefulset(objects)
    check_services(objects, sts, pod_labels)
    check_rules_and_dashboard(root, objects)
    check_dockerfile(root, run_as_user)
    if failures:
        print("FAILED:\n  " + "\n  ".join(failures))
        return 1
    print(f"k8s/ renders {len(objects)} objects; every check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
