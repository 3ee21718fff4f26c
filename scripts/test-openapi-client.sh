#!/usr/bin/env bash
# Generates a Python client (openapi-python-client) from the /openapi.json that a gateway on the
# simulator serves, and calls show_version, sw_interface_dump and sw_interface_set_flags through
# it (then dumps again to see the flag set). Also checks that the served document is
# openapi/vpp-gateway-simulator.json. Ends with `openapi-client: N passed, M failed`.
#
# Installs openapi-python-client into .venv-openapi/ (python3 -m venv) when it is missing; its
# code formatter, ruff, comes with it into the same venv.
# Environment: VPP_GATEWAY_BIN (the binary to use; default: built into SWIFT_SCRATCH),
# SWIFT_SCRATCH (default .build-openapi).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

venv=.venv-openapi
if [ ! -x "$venv/bin/openapi-python-client" ]; then
  echo "installing openapi-python-client into $venv" >&2
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q --upgrade pip >/dev/null
  "$venv/bin/python" -m pip install -q openapi-python-client
fi

gw=${VPP_GATEWAY_BIN:-}
if [ -z "$gw" ]; then
  scratch=${SWIFT_SCRATCH:-.build-openapi}
  swift build --scratch-path "$scratch" --product vpp-gateway >&2
  gw="$repo/$scratch/debug/vpp-gateway"
fi

work=$(mktemp -d)
server=""
cleanup() {
  if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then
    kill -TERM "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

port=$("$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
# Without the caller's VPP_GATEWAY_* settings (a tokens file, say): the defaults, on the simulator.
unset_settings=()
for name in $(compgen -e | grep '^VPP_GATEWAY_' || true); do unset_settings+=(-u "$name"); done
env "${unset_settings[@]}" "$gw" serve --simulate --listen "127.0.0.1:$port" --log-level warning > "$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 300); do
  if curl -fsS -o /dev/null "$base/readyz" 2>/dev/null; then break; fi
  if ! kill -0 "$server" 2>/dev/null; then
    cat "$work/server.log" >&2
    echo "openapi-client: the gateway exited before it was ready" >&2
    exit 1
  fi
  sleep 0.1
done
curl -fsS "$base/readyz" > /dev/null
curl -fsS "$base/openapi.json" -o "$work/openapi.json"

PATH="$repo/$venv/bin:$PATH" "$venv/bin/openapi-python-client" generate --path "$work/openapi.json" \
  --output-path "$work/client" --overwrite > "$work/generate.log" 2>&1 || { cat "$work/generate.log" >&2; exit 1; }
if grep -qi "warning" "$work/generate.log"; then
  cat "$work/generate.log" >&2
  echo "openapi-client: the generator warned about the served document" >&2
  exit 1
fi

"$venv/bin/python" - "$work/client" "$base" "$work/openapi.json" "$repo/openapi/vpp-gateway-simulator.json" <<'PY'
import json, sys, traceback
sys.path.insert(0, sys.argv[1])
base, served, checked_in = sys.argv[2], sys.argv[3], sys.argv[4]

from vpp_gateway_client import Client
from vpp_gateway_client.api.interface import sw_interface_dump, sw_interface_set_flags
from vpp_gateway_client.api.vpe import show_version
from vpp_gateway_client.models import IfStatusFlagsFlag, SwInterfaceDump, SwInterfaceSetFlags

client = Client(base_url=base, raise_on_unexpected_status=True, timeout=10)
ADMIN_UP = IfStatusFlagsFlag.IF_STATUS_API_FLAG_ADMIN_UP
results = []

def case(name):
    def run(f):
        try:
            detail = f()
            results.append((name, True, detail))
        except Exception:
            results.append((name, False, traceback.format_exc(limit=3)))
    return run

@case("served document is openapi/vpp-gateway-simulator.json")
def _():
    a, b = json.load(open(served)), json.load(open(checked_in))
    assert a == b, "the served /openapi.json differs from the checked-in one: run scripts/update-openapi.sh"
    return f"{len(a['paths'])} paths"

@case("show_version")
def _():
    v = show_version.sync(client=client)
    assert v.retval == 0 and v.program == "vpe" and v.version, v
    return f"VPP {v.version}"

def interfaces():
    details = sw_interface_dump.sync(client=client, body=SwInterfaceDump(sw_if_index=4294967295))
    return {d.sw_if_index: d for d in details}

@case("sw_interface_dump")
def _():
    ifs = interfaces()
    assert 0 in ifs and ifs[0].interface_name == "local0", sorted(ifs)
    assert len(ifs) >= 2, "the simulator starts with loopbacks"
    return ", ".join(f"{i}:{d.interface_name}" for i, d in sorted(ifs.items()))

@case("sw_interface_set_flags")
def _():
    target = max(interfaces())
    before = interfaces()[target]
    assert ADMIN_UP not in before.flags, before.flags
    reply = sw_interface_set_flags.sync(client=client, body=SwInterfaceSetFlags(sw_if_index=target, flags=[ADMIN_UP]))
    assert reply.retval == 0, reply
    after = interfaces()[target]
    assert ADMIN_UP in after.flags, after.flags
    return f"{after.interface_name} admin up"

for name, ok, detail in results:
    print(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}".rstrip())
passed = sum(1 for r in results if r[1])
print(f"openapi-client: {passed} passed, {len(results) - passed} failed")
sys.exit(0 if passed == len(results) else 1)
PY
