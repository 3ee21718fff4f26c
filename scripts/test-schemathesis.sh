#!/usr/bin/env bash
# Property-based API testing with schemathesis against /openapi.json, the gateway serving its
# built-in simulator: no 5xx, and every response (status, content type, body, SSE events)
# conforms to the document. Prints `schemathesis: N passed, M failed` (operations) and exits
# non-zero on a failure or if the gateway dies.
#
# The binary: $SCHEMATHESIS_BINARY or $VPP_GATEWAY_BIN (what scripts/test.sh passes), else
# .build/debug/vpp-gateway (CI's test command has just built it), else a debug build in
# .build-robust. schemathesis (pinned) goes into .venv-robust.
# Knobs: SCHEMATHESIS_MAX_EXAMPLES (25), SCHEMATHESIS_SEED (1; "random" for a new one each run),
# SCHEMATHESIS_STRICT=1 to count the known document mismatches below as failures.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
version=4.32.5
max_examples=${SCHEMATHESIS_MAX_EXAMPLES:-25}
seed=${SCHEMATHESIS_SEED:-1}

binary="${SCHEMATHESIS_BINARY:-${VPP_GATEWAY_BIN:-}}"
if [ -z "$binary" ]; then
  if [ -x .build/debug/vpp-gateway ]; then
    binary=.build/debug/vpp-gateway
  else
    swift build --scratch-path .build-robust --product vpp-gateway >&2
    binary=.build-robust/debug/vpp-gateway
  fi
fi
binary=$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")

venv=$root/.venv-robust
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$version"; then
  python3 -m venv "$venv" || { echo "schemathesis: python3 -m venv failed (Debian: apt-get install python3-venv)" >&2; exit 1; }
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$version"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/vgw-schemathesis.XXXXXX")
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
gateway_pid=""
cleanup() {
  if [ -n "$gateway_pid" ] && kill -0 "$gateway_pid" 2>/dev/null; then
    kill "$gateway_pid" 2>/dev/null || true
    wait "$gateway_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT

# The simulator toggles links so that event streams have events; every message is served,
# cli_inband and cli included (the simulator is the only thing they can reach).
"$binary" serve --simulate --sim-interfaces 5 --sim-event-rate 20 --listen "127.0.0.1:$port" \
  --allow '*' --allow cli_inband --allow cli --log-level warning >"$work/gateway.log" 2>&1 &
gateway_pid=$!
for _ in $(seq 1 150); do
  curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  kill -0 "$gateway_pid" 2>/dev/null || { echo "schemathesis: the gateway exited at start" >&2; cat "$work/gateway.log" >&2; exit 1; }
  sleep 0.2
done
curl -sf "http://127.0.0.1:$port/readyz" >/dev/null || { echo "schemathesis: the gateway is not ready" >&2; exit 1; }

# Realistic names for the path and query parameters that take a message or type name, so
# that runs reach past 404; event streams never end, so they are read for a second (or
# three events) per test case.
cat >"$work/schemathesis.toml" <<'EOF'
[dictionaries.messages]
values = ["show_version", "control_ping_reply", "sw_interface_set_flags", "sw_interface_details",
          "sw_interface_event", "cli_inband", "ip_address_details", "get_f64_endian_value", "sw_interface_dump"]
[dictionaries.names]
values = ["show_version", "sw_interface_dump", "if_status_flags", "address", "prefix", "address_with_prefix",
          "interface_index", "sw_interface_event", "want_interface_events", "mac_address", "sw_interface_details"]

[parameters]
"path.message" = { dictionary = "messages", probability = 0.7 }
"path.name" = { dictionary = "names", probability = 0.7 }
"query.message" = { dictionary = "messages", probability = 0.5 }

[[operations]]
include-path-regex = "^/v1/events"
request-timeout = 1.0
max-stream-events = 3
EOF

seed_args=(--seed "$seed")
[ "$seed" = "random" ] && seed_args=()
started=$(date +%s)
status=0
(
  cd "$work"
  timeout 600 "$venv/bin/schemathesis" --config-file "$work/schemathesis.toml" run "http://127.0.0.1:$port/openapi.json" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --max-examples "$max_examples" "${seed_args[@]}" --workers 2 --request-timeout 10 \
    --generation-database none --no-color --report ndjson --report-dir "$work/report"
) >"$work/schemathesis.log" 2>&1 || status=$?
elapsed=$(( $(date +%s) - started ))
alive=1
kill -0 "$gateway_pid" 2>/dev/null || alive=0

# Document mismatches already reported, each `METHOD PATH|text in the failure`, not counted
# as failures (unless SCHEMATHESIS_STRICT=1) until the document or the gateway is fixed.
# None at present (the event streams' per-event schema was the last, fixed 2026-11-23).
known=""

summary_status=0
python3 - "$work/report" "$alive" "${SCHEMATHESIS_STRICT:-0}" "$known" <<'EOF' || summary_status=$?
import glob, json, sys
report_dir, alive, strict, known_text = sys.argv[1], sys.argv[2] == "1", sys.argv[3] == "1", sys.argv[4]
known = [tuple(line.split("|", 1)) for line in known_text.splitlines() if "|" in line]
operations = {}          # label -> list of (title, message) failures
files = glob.glob(report_dir + "/*.ndjson")
for path in files:
    for line in open(path):
        event = json.loads(line)
        finished = event.get("ScenarioFinished")
        if not finished:
            continue
        recorder = finished["recorder"]
        label = recorder["label"]
        failures = operations.setdefault(label, [])
        for checks in recorder.get("checks", {}).values():
            for c in checks:
                if c["status"] == "success":
                    continue
                failure = (c.get("failure_info") or {}).get("failure") or {}
                failures.append((failure.get("title", c["name"]), failure.get("message", "")))

# Errors: a request that failed on the network (connection reset or refused, timeout, broken
# chunking) is the gateway's failure; anything else is schemathesis's own (e.g. CPython 3.11's
# "AST constructor recursion depth mismatch" under worker threads) and is only reported.
NETWORK = ("Connection", "Timeout", "Chunked", "Protocol", "Disconnected", "IncompleteRead", "SSLError")
tool_errors = []
for path in files:
    for line in open(path):
        event = json.loads(line)
        error = event.get("NonFatalError")
        if not error:
            continue
        value = error.get("value") or {}
        text = "%s: %s" % (value.get("type", "?"), (value.get("message") or "").splitlines()[0] if value.get("message") else "")
        label = error.get("label") or "(no operation)"
        if any(n in text for n in NETWORK):
            operations.setdefault(label, []).append(("request error", text))
        else:
            tool_errors.append((label, text))

def is_known(label, title, message):
    return any(label == op and (text in title or text in message) for op, text in known)

passed = failed = 0
known_seen = set()
for label in sorted(operations):
    unknown = []
    for title, message in operations[label]:
        if not strict and is_known(label, title, message):
            known_seen.add((label, title))
        else:
            unknown.append((title, message))
    if unknown:
        failed += 1
        title, message = unknown[0]
        print("FAIL  %s: %s (%d failing checks)\n      %s" % (label, title, len(unknown), message.splitlines()[0] if message else ""))
    else:
        passed += 1
for label, title in sorted(known_seen):
    print("known %s: %s" % (label, title))
for label, text in tool_errors:
    print("note  schemathesis error (not counted; %s was not fully tested): %s" % (label, text))
if not files:
    print("no schemathesis report was written")
    failed += 1
if not alive:
    print("FAIL  the gateway process died during the run")
    failed += 1
print("schemathesis: %d passed, %d failed%s" % (passed, failed, ", %d known document mismatches" % len(known_seen) if known_seen else ""))
sys.exit(1 if failed else 0)
EOF
echo "schemathesis: $elapsed s, schemathesis exit status $status, seed $seed, max examples $max_examples" >&2
if [ "$summary_status" -ne 0 ] || [ "$alive" -ne 1 ]; then
  tail -n 60 "$work/schemathesis.log" >&2
  echo "schemathesis: full output in $work/schemathesis.log, gateway log in $work/gateway.log" >&2
  exit 1
fi
rm -rf "$work"
