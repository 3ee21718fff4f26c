#!/usr/bin/env bash
# The test command: installs dependencies, then builds and runs every test.
# The tests read VPP's .api.json files and the codec vectors from ../shared (beside the checkout).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
swift build --build-tests
# The checks below use the binary just built rather than building their own.
bin="$(swift build --show-bin-path)/vpp-gateway"
# deploy/: the systemd unit (systemd-analyze), the manifests and image, the unit's sandbox.
VPP_GATEWAY_BIN="$bin" bash deploy/check.sh
# OpenAPI: the checked-in document is current; it and the 26.06 documents are valid.
VPP_GATEWAY_BIN="$bin" bash scripts/check-openapi.sh
# A generated Python client against the gateway on the simulator.
VPP_GATEWAY_BIN="$bin" bash scripts/test-openapi-client.sh
# Robustness: schemathesis against /openapi.json on the simulator (no 5xx, responses match the document).
VPP_GATEWAY_BIN="$bin" bash scripts/test-schemathesis.sh
# Robustness: 60 s soak — calls, dumps, 500 SSE subscribers, the simulator killed and restarted halfway.
VPP_GATEWAY_BIN="$bin" bash scripts/soak.sh
# Codec: differential check against vpp_papi 2.4.2 over every message of the schema (~80 s).
VPP_GATEWAY_BIN="$bin" bash scripts/papi-crosscheck.sh
# Serially: the suites start real servers and simulators, and on a 2-core machine running
# them all at once turns timing margins (liveness, grace periods) into noise.
swift test --skip-build --no-parallel
