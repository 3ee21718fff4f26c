"""The gateway works inside the systemd unit's sandbox (deploy/systemd/vpp-gateway.service).

A simulated VPP listens on a group-writable socket in a root-owned folder, as VPP does with
`unix { gid vpp }`; the gateway runs as an unprivileged user whose only way in is that group,
with the unit's system call filter, MemoryDenyWriteExecute=, address families, namespaces and
read-only file system applied (sandbox.py), and serves calls, dumps, events and its documents.
A control run checks that the sandbox does refuse what the unit forbids.

Needs VPP_GATEWAY_BIN (the built binary), root, libseccomp and systemd-analyze; skipped otherwise.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import sandbox  # noqa: E402

DEPLOY = Path(__file__).resolve().parent.parent
UNIT = DEPLOY / "systemd" / "vpp-gateway.service"
BIN = os.environ.get("VPP_GATEWAY_BIN")
NOBODY = 65534
VPP_GID = 64990  # stands for the `vpp` group

pytestmark = [
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only"),
    pytest.mark.skipif(not BIN or not os.access(BIN, os.X_OK), reason="VPP_GATEWAY_BIN not set to the built binary"),
    pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() != 0, reason="building the sandbox needs root"),
    pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze missing"),
]

ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin", "HOME": "/nonexistent",
       "USER": "nobody", "LOGNAME": "nobody", "SHELL": "/usr/sbin/nologin", "LANG": "C.UTF-8"}


@pytest.fixture(scope="module")
def sb() -> sandbox.Sandbox:
    try:
        sandbox.load_libseccomp()
    except OSError as e:
        pytest.skip(f"libseccomp unavailable: {e}")
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("no mount namespaces here: " + probe.stderr.decode().strip())
    return sandbox.Sandbox.from_unit(UNIT)


@pytest.fixture()
def workdir():
    base = "/run" if os.path.isdir("/run") and os.access("/run", os.W_OK) else None
    d = tempfile.mkdtemp(prefix="vpp-gateway-sandbox-", dir=base)
    os.chmod(d, 0o755)
    yield Path(d)
    shutil.rmtree(d, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method: str, url: str, body: dict | None = None, timeout: float = 10):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def wait_exit(pid: int, timeout: float) -> int | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        time.sleep(0.05)
    return None


def describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        hint = " (the system call filter killed it)" if sig == signal.SIGSYS else ""
        return f"killed by {signal.Signals(sig).name}{hint}"
    return f"exit status {os.WEXITSTATUS(status)}"


def test_the_unit_asks_for_what_the_harness_applies(sb):
    assert sb.syscalls and "connect" in sb.syscalls and "setuid" not in sb.syscalls
    assert sb.memory_deny_write_execute and sb.restrict_namespaces
    assert sb.address_families == {1, 2, 10}
    assert sb.protect_system_strict and sb.private_tmp and sb.protect_home
    assert sb.empty_bounding_set and sb.no_new_privileges


def test_gateway_serves_inside_the_sandbox(sb, workdir):
    sock = workdir / "api.sock"
    log_sim = open(workdir / "simulator.log", "w+")
    log_gw = open(workdir / "gateway.log", "w+")
    # VPP creates its socket group-writable (umask without g-w) with `unix { gid vpp }`.
    sim = subprocess.Popen([BIN, "simulate", "--socket", str(sock), "--interfaces", "2", "--event-rate", "20"],
                           stdout=log_sim, stderr=subprocess.STDOUT, preexec_fn=lambda: os.umask(0o002))
    gw = None
    try:
        deadline = time.monotonic() + 20
        while not sock.exists():
            assert sim.poll() is None, "simulator exited: " + (workdir / "simulator.log").read_text()
            assert time.monotonic() < deadline, "simulator socket did not appear"
            time.sleep(0.05)
        os.chown(sock, 0, VPP_GID)
        os.chmod(sock, 0o770)

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        gw = sandbox.spawn(sb, [BIN, "serve", "--listen", f"127.0.0.1:{port}", "--socket", str(sock)],
                           ENV, NOBODY, NOBODY, [VPP_GID], stdout=log_gw)

        def gateway_log() -> str:
            return (workdir / "gateway.log").read_text()[-3000:]

        deadline = time.monotonic() + 30
        while True:
            done, status = os.waitpid(gw, os.WNOHANG)
            if done:
                gw = None
                pytest.fail(f"gateway {describe(status)} before it was ready:\n{gateway_log()}")
            try:
                code, body = http("GET", base + "/readyz", timeout=2)
                if code == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "gateway not ready within 30 s:\n" + gateway_log()
            time.sleep(0.1)

        assert http("GET", base + "/healthz")[0] == 200
        code, body = http("GET", base + "/v1/show_version")
        assert code == 200 and json.loads(body)["retval"] == 0, body
        code, body = http("POST", base + "/v1/sw_interface_set_flags",
                          {"sw_if_index": 1, "flags": ["IF_STATUS_API_FLAG_ADMIN_UP"]})
        assert code == 200 and json.loads(body)["retval"] == 0, body
        code, body = http("GET", base + "/v1/sw_interface_dump")
        details = json.loads(body)
        assert code == 200 and len(details) == 3, body
        assert "IF_STATUS_API_FLAG_ADMIN_UP" in next(d for d in details if d["sw_if_index"] == 1)["flags"]
        code, body = http("GET", base + "/openapi.json")
        assert code == 200 and json.loads(body)["openapi"].startswith("3.1")
        assert http("GET", base + "/metrics")[0] == 200

        # An event stream: the simulator toggles link states 20 times a second.
        with urllib.request.urlopen(base + "/v1/events/sw_interface_event", timeout=10) as stream:
            seen = None
            deadline = time.monotonic() + 10
            while seen is None and time.monotonic() < deadline:
                line = stream.readline().decode()
                if line.startswith("data:") and "sw_interface_event" in line:
                    seen = json.loads(line[5:])
            assert seen and seen["_msgname"] == "sw_interface_event"

        status = Path(f"/proc/{gw}/status").read_text()
        peak = next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))
        print(f"\ngateway in the sandbox: peak resident memory {int(peak) // 1024} MiB")

        os.kill(gw, signal.SIGTERM)
        status = wait_exit(gw, 20)
        assert status is not None, "gateway did not stop within 20 s of SIGTERM"
        gw = None
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, f"gateway {describe(status)}:\n{gateway_log()}"
    finally:
        if gw is not None:
            os.kill(gw, signal.SIGKILL)
            os.waitpid(gw, 0)
        sim.terminate()
        try:
            sim.wait(10)
        except subprocess.TimeoutExpired:
            sim.kill()
            sim.wait()


CONTROL = r"""
import ctypes, errno, os, socket
def outcome(f):
    try:
        f()
        return "allowed"
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))
libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
def wx():
    p = libc.mmap(None, 4096, 0x1 | 0x2 | 0x4, 0x22, -1, 0)
    if p in (None, ctypes.c_void_p(-1).value):
        raise OSError(ctypes.get_errno(), "mmap")
def unshare():
    if libc.unshare(0x04000000) != 0:
        raise OSError(ctypes.get_errno(), "unshare")
def write_usr():
    open("/usr/.vpp-gateway-sandbox-probe", "w")
results = {
    "write_usr": outcome(write_usr),
    "write_tmp": outcome(lambda: open("/tmp/probe", "w").close()),
    "wx_mmap": outcome(wx),
    "netlink": outcome(lambda: socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0).close()),
    "inet6": outcome(lambda: socket.socket(socket.AF_INET6).close()),
    "unshare": outcome(unshare),
    "root_home": sorted(os.listdir("/root")) if os.path.isdir("/root") else [],
    "pid1_visible": os.path.exists("/proc/1/stat"),
    "meminfo_visible": os.path.exists("/proc/meminfo"),
    "uid": os.getuid(),
    "cap_bnd": [l.split()[1] for l in open("/proc/self/status") if l.startswith("CapBnd")][0],
}
import json; print(json.dumps(results))
"""


def test_the_sandbox_refuses_what_the_unit_forbids(sb, workdir):
    python = "/usr/bin/python3"
    if not os.access(python, os.X_OK):
        pytest.skip("/usr/bin/python3 missing")
    log = open(workdir / "control.log", "w+")
    pid = sandbox.spawn(sb, [python, "-I", "-c", CONTROL], ENV, NOBODY, NOBODY, [VPP_GID], stdout=log)
    status = wait_exit(pid, 30)
    out = (workdir / "control.log").read_text()
    assert status is not None and os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, f"{describe(status)}: {out}"
    r = json.loads(out.strip().splitlines()[-1])
    # Unprivileged and read-only apart from a private /tmp; home folders empty.
    assert r["uid"] == NOBODY and int(r["cap_bnd"], 16) == 0
    assert r["write_usr"] in ("EROFS", "EACCES") and r["write_tmp"] == "allowed"
    assert r["root_home"] == []
    # MemoryDenyWriteExecute=, RestrictAddressFamilies=, RestrictNamespaces=.
    assert r["wx_mmap"] == "EPERM"
    assert r["netlink"] == "EAFNOSUPPORT" and r["inet6"] == "allowed"
    assert r["unshare"] == "EPERM"
    # ProtectProc=invisible, ProcSubset=pid.
    assert not r["pid1_visible"] and not r["meminfo_visible"]
