"""Static checks of deploy/: every manifest parses, and the fields that make the gateway work
agree with each other and with the gateway (no container engine or cluster needed).

With VPP_GATEWAY_BIN set to the built binary, the flags the manifests pass are also checked
against `vpp-gateway serve --help`.
"""
from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).parent))
from sandbox import effective, parse_unit  # noqa: E402

DEPLOY = Path(__file__).resolve().parent.parent
REPO = DEPLOY.parent
K8S = DEPLOY / "kubernetes"
SOCKET = "/run/vpp/api.sock"
GATEWAY = "vpp-gateway"
BIN = os.environ.get("VPP_GATEWAY_BIN")
MANIFESTS = sorted(K8S.glob("*.yaml"))


def load(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d is not None]


def all_documents() -> list[dict]:
    return [d for p in MANIFESTS for d in load(p)]


def workloads() -> list[tuple[str, dict]]:
    return [(p.name, d) for p in MANIFESTS for d in load(p) if d["kind"] in ("Deployment", "DaemonSet", "StatefulSet", "Pod")]


def pod_spec(w: dict) -> dict:
    return w["spec"] if w["kind"] == "Pod" else w["spec"]["template"]["spec"]


def pod_labels(w: dict) -> dict:
    return w["metadata"]["labels"] if w["kind"] == "Pod" else w["spec"]["template"]["metadata"]["labels"]


def container(w: dict, name: str) -> dict:
    return next(c for c in pod_spec(w)["containers"] if c["name"] == name)


def flag(args: list[str], name: str) -> str | None:
    for i, a in enumerate(args):
        if a == name and i + 1 < len(args):
            return args[i + 1]
        if a.startswith(name + "="):
            return a.split("=", 1)[1]
    return None


def mount_of(c: dict, path: str) -> dict | None:
    """The volume mount of container c that holds `path`."""
    best = None
    for m in c.get("volumeMounts", []):
        mp = m["mountPath"].rstrip("/")
        if path == mp or path.startswith(mp + "/"):
            if best is None or len(mp) > len(best["mountPath"]):
                best = m
    return best


def quantity(q) -> float:
    """Kubernetes resource quantity → a number (cores or bytes)."""
    s = str(q)
    units = {"m": 1e-3, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "k": 1e3, "M": 1e6, "G": 1e9}
    for u, f in sorted(units.items(), key=lambda kv: -len(kv[0])):
        if s.endswith(u):
            return float(s[: -len(u)]) * f
    return float(s)


def effective_security(w: dict, c: dict) -> dict:
    """Container securityContext over the pod's (for the fields both have)."""
    pod = pod_spec(w).get("securityContext", {})
    merged = {k: pod[k] for k in ("runAsUser", "runAsGroup", "runAsNonRoot", "seccompProfile") if k in pod}
    merged.update(c.get("securityContext", {}))
    return merged


# --- Kubernetes ----------------------------------------------------------------------------


def test_the_manifests_are_there():
    assert {p.name for p in MANIFESTS} >= {"sidecar.yaml", "daemonset.yaml", "secret.yaml"}


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_every_manifest_parses_into_named_objects(path):
    docs = load(path)
    assert docs, f"{path.name} is empty"
    for d in docs:
        assert isinstance(d, dict) and d.get("apiVersion") and d.get("kind"), d
        assert re.fullmatch(r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?", d["metadata"]["name"]), d["metadata"]
        assert "namespace" not in d["metadata"], "leave the namespace to kubectl -n"
    kinds = [(d["kind"], d["metadata"]["name"]) for d in docs]
    assert len(kinds) == len(set(kinds)), f"duplicate objects in {path.name}"


def test_there_is_a_sidecar_and_a_daemonset():
    kinds = {(f, w["kind"]) for f, w in workloads()}
    assert ("sidecar.yaml", "Deployment") in kinds and ("daemonset.yaml", "DaemonSet") in kinds


@pytest.mark.parametrize("name,w", workloads(), ids=lambda v: v if isinstance(v, str) else v["kind"])
def test_gateway_container(name, w):
    c = container(w, GATEWAY)
    spec = pod_spec(w)
    # The image this repository builds, pinned.
    image = c["image"]
    assert re.fullmatch(r"(.+/)?vpp-gateway:[\w.-]+", image) and not image.endswith(":latest"), image
    # It listens on every address, on the port it declares.
    args = c.get("args", [])
    listen = flag(args, "--listen")
    assert listen and listen.rsplit(":", 1)[0] in ("0.0.0.0", "[::]"), f"{name}: --listen {listen}"
    port = int(listen.rsplit(":", 1)[1])
    ports = {p.get("name"): p["containerPort"] for p in c["ports"]}
    assert ports.get("http") == port
    # VPP's API socket, reached through a volume.
    assert flag(args, "--socket") == SOCKET
    m = mount_of(c, SOCKET)
    assert m and m["mountPath"] == os.path.dirname(SOCKET), f"{name}: nothing mounted at /run/vpp"
    assert m.get("readOnly") is True
    volumes = {v["name"]: v for v in spec["volumes"]}
    assert m["name"] in volumes
    for mount in c["volumeMounts"]:
        assert mount["name"] in volumes, f"{name}: mount of undefined volume {mount['name']}"
    # Probes: alive and ready, on the declared port.
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        get = c[probe]["httpGet"]
        assert get["path"] == path, f"{name}: {probe}"
        assert get["port"] in ("http", port), f"{name}: {probe} port {get['port']}"
    # Resources: requests and limits for CPU and memory, requests within limits.
    res = c["resources"]
    for kind in ("cpu", "memory"):
        assert quantity(res["requests"][kind]) <= quantity(res["limits"][kind]), f"{name}: {kind}"
    # Locked down: non-root, read-only root, no privilege escalation, no capabilities.
    sec = effective_security(w, c)
    assert sec.get("runAsNonRoot") is True and sec.get("runAsUser", 0) != 0
    assert sec.get("readOnlyRootFilesystem") is True
    assert sec.get("allowPrivilegeEscalation") is False
    assert sec.get("capabilities", {}).get("drop") == ["ALL"] and not sec["capabilities"].get("add")
    assert sec.get("seccompProfile", {}).get("type") == "RuntimeDefault"
    assert not spec.get("hostNetwork") and not spec.get("hostPID")


@pytest.mark.parametrize("name,w", workloads(), ids=lambda v: v if isinstance(v, str) else v["kind"])
def test_tokens_come_from_the_secret(name, w):
    c = container(w, GATEWAY)
    env = {e["name"]: e for e in c.get("env", [])}
    path = env["VPP_GATEWAY_TOKENS_FILE"]["value"]
    m = mount_of(c, path)
    assert m and m.get("readOnly") is True, f"{name}: {path} is not in a mount"
    volume = next(v for v in pod_spec(w)["volumes"] if v["name"] == m["name"])
    secret_name = volume["secret"]["secretName"]
    key = os.path.relpath(path, m["mountPath"])
    for item in volume["secret"].get("items", []):
        if item["path"] == key:
            key = item["key"]
    secrets = {d["metadata"]["name"]: d for d in all_documents() if d["kind"] == "Secret"}
    assert secret_name in secrets, f"{name}: no Secret {secret_name} in deploy/kubernetes"
    data = {**secrets[secret_name].get("data", {}), **secrets[secret_name].get("stringData", {})}
    assert key in data, f"Secret {secret_name} has no key {key}"
    # Readable by the gateway only through its group (fsGroup), not by everyone.
    mode = volume["secret"].get("defaultMode", 0o644)
    assert mode & 0o007 == 0 and mode & 0o040, oct(mode)
    assert pod_spec(w).get("securityContext", {}).get("fsGroup") is not None


def test_sidecar_shares_the_socket_folder_with_vpp():
    w = next(w for f, w in workloads() if f == "sidecar.yaml")
    spec = pod_spec(w)
    gw, vpp = container(w, GATEWAY), container(w, "vpp")
    gw_mount, vpp_mount = mount_of(gw, SOCKET), mount_of(vpp, SOCKET)
    assert vpp_mount and gw_mount["name"] == vpp_mount["name"] and gw_mount["mountPath"] == vpp_mount["mountPath"]
    volume = next(v for v in spec["volumes"] if v["name"] == gw_mount["name"])
    assert "emptyDir" in volume
    assert not vpp_mount.get("readOnly"), "VPP creates the socket"
    # VPP's startup.conf (from the ConfigMap) puts the socket there, owned by the pod's fsGroup.
    conf_mount = mount_of(vpp, "/etc/vpp/startup.conf")
    conf_volume = next(v for v in spec["volumes"] if v["name"] == conf_mount["name"])
    configmaps = {d["metadata"]["name"]: d for d in load(K8S / "sidecar.yaml") if d["kind"] == "ConfigMap"}
    conf = configmaps[conf_volume["configMap"]["name"]]["data"]["startup.conf"]
    assert re.search(r"socksvr\s*\{[^}]*socket-name\s+" + re.escape(SOCKET), conf), conf
    gid = re.search(r"unix\s*\{[^}]*\bgid\s+(\d+)", conf)
    assert gid, "startup.conf: unix { gid N } makes the socket group-writable for N"
    groups = {spec["securityContext"].get("fsGroup"), *spec["securityContext"].get("supplementalGroups", [])}
    assert int(gid.group(1)) in groups, "the gateway is not in the socket's group"
    assert "/usr/bin/vpp" in vpp["command"][0] and vpp["command"][-1] == "/etc/vpp/startup.conf"


def test_daemonset_uses_the_nodes_vpp():
    w = next(w for f, w in workloads() if f == "daemonset.yaml")
    spec = pod_spec(w)
    assert spec.get("nodeSelector"), "only the nodes that run VPP"
    m = mount_of(container(w, GATEWAY), SOCKET)
    volume = next(v for v in spec["volumes"] if v["name"] == m["name"])
    assert volume["hostPath"]["path"] == "/run/vpp" and volume["hostPath"].get("type") == "Directory"
    # The socket's group is VPP's group on the node, which the gateway joins.
    assert spec["securityContext"].get("supplementalGroups"), "supplementalGroups: [the vpp group's gid]"


@pytest.mark.parametrize("name,w", workloads(), ids=lambda v: v if isinstance(v, str) else v["kind"])
def test_selectors_match(name, w):
    if w["kind"] != "Pod":
        labels = pod_labels(w)
        for k, v in w["spec"]["selector"]["matchLabels"].items():
            assert labels.get(k) == v, f"{name}: selector {k}={v} does not select its own pods"


def test_services_reach_the_gateway_port():
    services = [(p.name, d) for p in MANIFESTS for d in load(p) if d["kind"] == "Service"]
    assert services
    for fname, svc in services:
        matched = [w for f, w in workloads()
                   if f == fname and all(pod_labels(w).get(k) == v for k, v in svc["spec"]["selector"].items())]
        assert matched, f"{fname}: Service {svc['metadata']['name']} selects no pods of its file"
        for w in matched:
            ports = {p.get("name"): p["containerPort"] for p in container(w, GATEWAY)["ports"]}
            for p in svc["spec"]["ports"]:
                assert p["targetPort"] in ports or p["targetPort"] in ports.values(), p


# --- container image -----------------------------------------------------------------------


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments), continuation lines joined, comments dropped."""
    text = (DEPLOY / "Dockerfile").read_text()
    lines, buf = [], ""
    for raw in text.splitlines():
        if raw.lstrip().startswith("#") and not buf:
            continue
        if raw.lstrip().startswith("#"):
            continue
        buf += raw.rstrip()
        if buf.endswith("\\"):
            buf = buf[:-1] + " "
            continue
        if buf.strip():
            ins, _, rest = buf.strip().partition(" ")
            lines.append((ins.upper(), rest.strip()))
        buf = ""
    return lines


def stages() -> list[list[tuple[str, str]]]:
    out: list[list[tuple[str, str]]] = []
    for ins, rest in dockerfile():
        if ins == "FROM":
            out.append([])
        if out:
            out[-1].append((ins, rest))
    return out


def build_args() -> dict[str, str]:
    args = {}
    for ins, rest in dockerfile():
        if ins == "ARG" and "=" in rest:
            k, v = rest.split("=", 1)
            args[k] = v
    return args


def image_of(stage) -> str:
    ref = stage[0][1].split()[0]
    return re.sub(r"\$\{(\w+)\}", lambda m: build_args()[m.group(1)], ref)


def test_dockerfile_is_a_two_stage_build():
    build, runtime = stages()
    assert re.fullmatch(r"swift:6[\w.-]*-bookworm", image_of(build)), image_of(build)
    assert image_of(runtime) == "debian:bookworm-slim"
    build_text = " ".join(r for _, r in build)
    assert "libmicrohttpd-dev" in build_text
    assert re.search(r"swift build -c release --static-swift-stdlib --product vpp-gateway", build_text)
    runtime_text = " ".join(r for _, r in runtime)
    assert "libmicrohttpd12" in runtime_text and "--no-install-recommends" in runtime_text
    assert any(i == "COPY" and r.startswith("--from=build") for i, r in runtime)


def test_dockerfile_copies_every_target_folder():
    """Package.swift names targets in several folders; the build stage needs them all."""
    copied = {shlex.split(r)[0].rstrip("/") for i, r in stages()[0] if i == "COPY"}
    for src in copied:
        assert (REPO / src).exists(), f"COPY {src}: not in the repository"
    manifest = (REPO / "Package.swift").read_text()
    folders = {p.split("/")[0] for p in re.findall(r'path:\s*"([^"]+)"', manifest)} | {"Sources", "Tests"}
    assert folders <= copied, f"not copied: {folders - copied}"


def test_dockerfile_runtime_matches_the_manifests():
    runtime = stages()[-1]
    get = lambda ins: [r for i, r in runtime if i == ins]
    user = get("USER")[-1].split(":")[0]
    assert user.isdigit() and int(user) != 0, "a numeric non-root USER (runAsNonRoot checks it)"
    for name, w in workloads():
        assert effective_security(w, container(w, GATEWAY)).get("runAsUser") == int(user), name
    exposed = {int(p.split("/")[0]) for r in get("EXPOSE") for p in r.split()}
    entry = json.loads(get("ENTRYPOINT")[-1])
    assert entry == ["/usr/bin/vpp-gateway", "serve"]
    cmd = json.loads(get("CMD")[-1])
    assert int(flag(cmd, "--listen").rsplit(":", 1)[1]) in exposed
    assert flag(cmd, "--socket") == SOCKET
    for name, w in workloads():
        ports = {p["containerPort"] for p in container(w, GATEWAY)["ports"]}
        assert ports <= exposed, name


# --- systemd -------------------------------------------------------------------------------


UNIT = parse_unit(DEPLOY / "systemd" / "vpp-gateway.service")


def unit_value(section: str, key: str) -> str | None:
    values = UNIT.get(section, {}).get(key)
    return values[-1] if values else None


def unit_words(section: str, key: str) -> list[str]:
    return " ".join(effective(UNIT.get(section, {}).get(key, []))).split()


def test_unit_runs_after_vpp():
    assert "vpp.service" in unit_words("Unit", "After")
    assert "vpp.service" in (unit_words("Unit", "Wants") + unit_words("Unit", "Requires") + unit_words("Unit", "BindsTo"))
    assert unit_value("Service", "Restart") == "on-failure"
    assert unit_words("Install", "WantedBy") == ["multi-user.target"]


def test_unit_command_and_settings():
    assert unit_value("Service", "ExecStart") == "/usr/bin/vpp-gateway serve"
    assert unit_value("Service", "EnvironmentFile") == "-/etc/default/vpp-gateway"
    example = (DEPLOY / "systemd" / "vpp-gateway.default").read_text()
    names = re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", example, re.M)
    assert names and all(n.startswith("VPP_GATEWAY_") for n in names), names
    assert "VPP_GATEWAY_TOKENS_FILE=/etc/vpp-gateway/tokens" in example


def test_unit_user_and_socket_group():
    user = unit_value("Service", "User")
    assert user and user != "root" and unit_value("Service", "DynamicUser") in (None, "no")
    assert "vpp" in unit_words("Service", "SupplementaryGroups")
    sysusers = (DEPLOY / "systemd" / "vpp-gateway.sysusers").read_text()
    assert re.search(rf"^u\s+{re.escape(user)}\s", sysusers, re.M), "the sysusers.d file creates the User="


def test_unit_hardening():
    s = lambda k: unit_value("Service", k)
    assert s("NoNewPrivileges") == "yes"
    assert s("ProtectSystem") == "strict" and s("ProtectHome") == "yes" and s("PrivateTmp") == "yes"
    assert "CapabilityBoundingSet" in UNIT["Service"] and unit_words("Service", "CapabilityBoundingSet") == []
    assert not unit_words("Service", "AmbientCapabilities")
    assert set(unit_words("Service", "RestrictAddressFamilies")) == {"AF_UNIX", "AF_INET", "AF_INET6"}
    assert s("MemoryDenyWriteExecute") == "yes"
    assert effective(UNIT["Service"]["SystemCallFilter"])[0] == "@system-service"
    assert s("SystemCallArchitectures") == "native"
    # The gateway writes nothing: no writable paths, no state or runtime directories.
    for key in ("ReadWritePaths", "StateDirectory", "RuntimeDirectory", "LogsDirectory", "CacheDirectory"):
        assert not unit_words("Service", key), key


# --- agreement with the binary ---------------------------------------------------------------


@pytest.mark.skipif(not BIN, reason="VPP_GATEWAY_BIN not set")
def test_flags_used_by_the_deployments_exist():
    help_text = subprocess.run([BIN, "serve", "--help"], capture_output=True, text=True, check=True).stdout
    used = set()
    for _, w in workloads():
        used |= {a for a in container(w, GATEWAY).get("args", []) if a.startswith("--")}
    runtime = stages()[-1]
    used |= {a for i, r in runtime if i == "CMD" for a in json.loads(r) if a.startswith("--")}
    for f in sorted(used):
        assert re.search(rf"(^|\s){re.escape(f.split('=')[0])}\b", help_text), f"serve has no {f}"


def environment_settings() -> dict[str, str]:
    """VPP_GATEWAY_* assignments in deploy/: the env file's (commented-out or not) and the pods'."""
    found = {}
    text = (DEPLOY / "systemd" / "vpp-gateway.default").read_text()
    for name, value in re.findall(r"^#?(VPP_GATEWAY_[A-Z0-9_]+)=(\S*)", text, re.M):
        found[name] = value
    for _, w in workloads():
        for e in container(w, GATEWAY).get("env", []):
            if e["name"].startswith("VPP_GATEWAY_"):
                found[e["name"]] = e["value"]
    return found


@pytest.mark.skipif(not BIN, reason="VPP_GATEWAY_BIN not set")
def test_environment_variables_are_the_gateways(tmp_path):
    """Each VPP_GATEWAY_* variable deploy/ sets is a setting `serve --print-config` takes from it."""
    settings = environment_settings()
    assert "VPP_GATEWAY_TOKENS_FILE" in settings
    env = {k: v for k, v in os.environ.items() if not k.startswith("VPP_GATEWAY_")}
    env.update(settings)
    if "VPP_GATEWAY_CONFIG" in settings:
        (tmp_path / "config.json").write_text("{}")
        env["VPP_GATEWAY_CONFIG"] = str(tmp_path / "config.json")
    run = subprocess.run([BIN, "serve", "--print-config"], env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    effective_config = json.loads(run.stdout)
    for name in settings:
        if name == "VPP_GATEWAY_CONFIG":
            continue
        key = name.removeprefix("VPP_GATEWAY_").lower().replace("_", "-")
        assert key in effective_config, f"{name}: serve has no setting {key}"
        assert effective_config[key]["source"] == f"environment {name}", effective_config[key]
