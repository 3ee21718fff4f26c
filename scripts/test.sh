#!/usr/bin/env bash
# The test command: installs dependencies, then builds and runs every test.
# The tests read VPP's .api.json files and the codec vectors from ../shared (beside the checkout).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
swift build --build-tests
# Serially: the suites start real servers and simulators, and on a 2-core machine running
# them all at once turns timing margins (liveness, grace periods) into noise.
swift test --skip-build --no-parallel
