#!/usr/bin/env bash
# Generates the gateway's OpenAPI documents for VPP's 26.06 API set and for the testgovpp plugin,
# validates them and the checked-in openapi/vpp-gateway-simulator.json (the simulator's built-in
# schema) with openapi-spec-validator, checks that the checked-in document is current
# (scripts/update-openapi.sh --check), and checks every public codec vector's canonical JSON
# against its message schema (JSON Schema 2020-12, formats checked).
#
# Installs openapi-spec-validator into .venv-openapi/ (python3 -m venv) when it is missing.
# Options: --python-client also generates a Python client (openapi-python-client) from a small
# document and from the 26.06 one, failing on any warning.
# Environment: VPP_GATEWAY_SHARED (default ../shared beside the checkout), OPENAPI_OUT (where
# the documents are written; default a temporary folder), VPP_GATEWAY_BIN (the binary to use;
# default: built into SWIFT_SCRATCH), SWIFT_SCRATCH (default .build-openapi).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
shared=${VPP_GATEWAY_SHARED:-$(cd "$(dirname "$0")/../../shared" && pwd)}
scratch=${SWIFT_SCRATCH:-.build-openapi}
out=${OPENAPI_OUT:-$(mktemp -d)}
mkdir -p "$out"
python_client=0
[ "${1:-}" = "--python-client" ] && python_client=1

venv=.venv-openapi
if [ ! -x "$venv/bin/openapi-spec-validator" ]; then
  echo "installing openapi-spec-validator into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --upgrade pip >/dev/null
  "$venv/bin/pip" install -q openapi-spec-validator
fi
if [ $python_client = 1 ] && [ ! -x "$venv/bin/openapi-python-client" ]; then
  "$venv/bin/pip" install -q openapi-python-client
fi

gw=${VPP_GATEWAY_BIN:-}
if [ -z "$gw" ]; then
  swift build --scratch-path "$scratch" --product vpp-gateway >&2
  gw="$repo/$scratch/debug/vpp-gateway"
fi

# The checked-in document of the built-in schema: current, and valid.
VPP_GATEWAY_BIN="$gw" bash scripts/update-openapi.sh --check
"$venv/bin/openapi-spec-validator" openapi/vpp-gateway-simulator.json

api="$shared/vpp-api/26.06"
"$gw" openapi --api-dir "$api" --output "$out/vpp-26.06.json"
"$gw" openapi --api-dir "$shared/vpp-api/testgovpp" --output "$out/testgovpp.json"
"$gw" openapi --api-dir "$api" --api-dir "$shared/vectors/api/synthetic" --api-dir "$shared/vectors/api/vat2" \
  --api-dir "$shared/vpp-api/testgovpp" --output "$out/vectors.json"

for doc in vpp-26.06 testgovpp vectors; do
  "$venv/bin/openapi-spec-validator" "$out/$doc.json"
done

# Every public vector's canonical JSON must match its message's schema.
"$venv/bin/python" - "$out/vectors.json" "$shared/vectors/public.jsonl" <<'EOF'
import json, sys
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

doc = json.load(open(sys.argv[1]))
uri = "urn:vpp-gateway:openapi"
registry = Registry().with_resource(uri, Resource.from_contents(doc, default_specification=DRAFT202012))
checked = 0
failures = []
for line in open(sys.argv[2]):
    v = json.loads(line)
    schema = {"$ref": f"{uri}#/components/schemas/{v['message']}"}
    validator = Draft202012Validator(schema, registry=registry, format_checker=FormatChecker())
    errors = list(validator.iter_errors(v["json"]))
    checked += 1
    if errors:
        failures.append((v["message"], errors[0].json_path, errors[0].message[:200]))
for f in failures:
    print("vector %s: %s: %s" % f, file=sys.stderr)
print(f"vectors: {checked - len(failures)}/{checked} match their message schema")
sys.exit(1 if failures else 0)
EOF

if [ $python_client = 1 ]; then
  small="$out/small"
  mkdir -p "$small"
  for f in interface vpe memclnt interface_types ip_types ethernet_types vpe_types; do
    cp "$api/core/$f.api.json" "$small/"
  done
  "$gw" openapi --api-dir "$small" --output "$out/small.json"
  for doc in small vpp-26.06; do
    start=$(date +%s)
    log=$(PATH="$repo/$venv/bin:$PATH" "$venv/bin/openapi-python-client" generate --path "$out/$doc.json" \
      --output-path "$out/python-$doc" --overwrite 2>&1)
    echo "python client from $doc.json: $(( $(date +%s) - start )) s"
    if grep -qi "warning" <<<"$log"; then echo "$log" >&2; exit 1; fi
  done
  # Call show_version, sw_interface_dump and sw_interface_set_flags through the generated client
  # against a stand-in server that answers with the vectors' canonical JSON.
  "$venv/bin/python" - "$out/python-small" "$shared/vectors/public.jsonl" <<'EOF'
import json, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
sys.path.insert(0, sys.argv[1])
answers = {}
for line in open(sys.argv[2]):
    v = json.loads(line)
    answers.setdefault(v["message"], []).append(v["json"])
bodies = []
class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args): pass
    def do_GET(self): self.answer()
    def do_POST(self): self.answer()
    def answer(self):
        n = int(self.headers.get("Content-Length") or 0)
        bodies.append(self.rfile.read(n) if n else b"")
        path = self.path.split("?")[0]
        out = {"/v1/show_version": answers["show_version_reply"][0],
               "/v1/sw_interface_dump": answers["sw_interface_details"],
               "/v1/sw_interface_set_flags": {"_msgname": "sw_interface_set_flags_reply", "_crc": "e8d4e804", "retval": 0}}.get(path)
        data = json.dumps(out).encode()
        self.send_response(200 if out is not None else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
from vpp_gateway_client import Client
from vpp_gateway_client.api.vpe import show_version
from vpp_gateway_client.api.interface import sw_interface_dump, sw_interface_set_flags
from vpp_gateway_client.models import IfStatusFlagsFlag, SwInterfaceDump, SwInterfaceSetFlags
client = Client(base_url=f"http://127.0.0.1:{server.server_port}", raise_on_unexpected_status=True)
version = show_version.sync(client=client)
details = sw_interface_dump.sync(client=client, body=SwInterfaceDump(sw_if_index=4294967295))
reply = sw_interface_set_flags.sync(client=client, body=SwInterfaceSetFlags(
    sw_if_index=1, flags=[IfStatusFlagsFlag.IF_STATUS_API_FLAG_ADMIN_UP]))
assert version.version and len(details) == len(answers["sw_interface_details"]) and reply.retval == 0
assert json.loads(bodies[-1]) == {"sw_if_index": 1, "flags": ["IF_STATUS_API_FLAG_ADMIN_UP"]}
print(f"python client: show_version {version.version!r}, {len(details)} sw_interface_details, sw_interface_set_flags retval 0")
server.shutdown()
EOF
fi
echo "OpenAPI documents valid (in $out)"
