#!/usr/bin/env bash
# The soak test: a 60-second run of the gateway against a separately running simulator, with
# mixed calls, dumps and 500 SSE subscribers, and the simulator killed and restarted halfway.
# Checks no crash, RSS back near its plateau, no event lost by subscribers that keep up, and a
# clean shutdown; prints `soak: N passed, M failed` and exits non-zero on any failure.
#
# The binary: $SOAK_BINARY if set; else $VPP_GATEWAY_BIN (what scripts/test.sh passes) when
# SOAK_BUILD is debug; else, with SOAK_BUILD=release (the default outside CI), a
# release build in .build-robust-release; with SOAK_BUILD=debug (the default in CI, where the
# test command has just built .build/debug), .build/debug/vpp-gateway when present, else a debug
# build in .build-robust. Everything the run writes goes to a temporary folder, kept on failure.
# Any other argument is passed to scripts/soak/soak.py (see its --help), e.g. --duration 30.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${SOAK_BUILD:-}" ]; then
  if [ "${CI:-}" = "true" ]; then SOAK_BUILD=debug; else SOAK_BUILD=release; fi
fi
binary="${SOAK_BINARY:-}"
if [ -z "$binary" ] && [ "$SOAK_BUILD" = "debug" ]; then binary="${VPP_GATEWAY_BIN:-}"; fi
if [ -z "$binary" ]; then
  started=$(date +%s)
  if [ "$SOAK_BUILD" = "release" ]; then
    swift build -c release --scratch-path .build-robust-release --product vpp-gateway >&2
    binary=.build-robust-release/release/vpp-gateway
  elif [ -x .build/debug/vpp-gateway ]; then
    binary=.build/debug/vpp-gateway
  else
    swift build --scratch-path .build-robust --product vpp-gateway >&2
    binary=.build-robust/debug/vpp-gateway
  fi
  echo "soak: $SOAK_BUILD binary $binary ready in $(( $(date +%s) - started )) s" >&2
fi
[ -x "$binary" ] || { echo "soak: no executable at $binary" >&2; exit 1; }

# File descriptors: 500 subscribers plus calls, on both ends of loopback connections.
ulimit -n 8192 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

work=$(mktemp -d "${TMPDIR:-/tmp}/vgw-soak.XXXXXX")
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
status=0
python3 scripts/soak/soak.py --binary "$binary" --port "$port" --workdir "$work" "$@" || status=$?
if [ "$status" -ne 0 ]; then
  echo "soak: logs kept in $work" >&2
  for f in gateway.log simulator.log; do
    [ -s "$work/$f" ] && { echo "--- last lines of $f" >&2; tail -n 20 "$work/$f" >&2; }
  done
else
  rm -rf "$work"
fi
exit "$status"
