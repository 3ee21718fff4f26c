#!/usr/bin/env bash
# Regenerates openapi/vpp-gateway-simulator.json: the OpenAPI document of the simulator's
# built-in schema (what `vpp-gateway serve --simulate` serves at /openapi.json), indented so
# that changes diff well. With --check, writes nothing and fails when the file is not current.
# Environment: VPP_GATEWAY_BIN (the binary to use; default: built into SWIFT_SCRATCH),
# SWIFT_SCRATCH (default .build-openapi).
set -euo pipefail
cd "$(dirname "$0")/.."
doc=openapi/vpp-gateway-simulator.json
check=0
[ "${1:-}" = "--check" ] && check=1

gw=${VPP_GATEWAY_BIN:-}
if [ -z "$gw" ]; then
  scratch=${SWIFT_SCRATCH:-.build-openapi}
  swift build --scratch-path "$scratch" --product vpp-gateway >&2
  gw="$scratch/debug/vpp-gateway"
fi

generate() { "$gw" openapi --builtin --pretty --output "$1"; }

if [ $check = 0 ]; then
  mkdir -p "$(dirname "$doc")"
  generate "$doc"
  echo "wrote $doc ($(wc -c < "$doc") bytes)"
  exit 0
fi
fresh=$(mktemp)
trap 'rm -f "$fresh"' EXIT
generate "$fresh"
if ! diff -u "$doc" "$fresh" > "$fresh.diff" 2>&1; then
  head -40 "$fresh.diff" >&2
  rm -f "$fresh.diff"
  echo "$doc is not current: run scripts/update-openapi.sh and commit the result" >&2
  exit 1
fi
rm -f "$fresh.diff"
echo "$doc is current"
