#!/usr/bin/env bash
# The run command: installs dependencies, builds, and serves the gateway. With no VPP socket at
# /run/vpp/api.sock it starts the built-in VPP simulator on a private socket instead.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
swift build -c release --product vpp-gateway
if [ -S /run/vpp/api.sock ] && [ "${1:-}" != "--simulate" ]; then
  exec .build/release/vpp-gateway serve "$@"
else
  [ "${1:-}" = "--simulate" ] && shift
  exec .build/release/vpp-gateway serve --simulate "$@"
fi
