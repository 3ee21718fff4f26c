#!/usr/bin/env bash
# Differential check of our codec against vpp_papi 2.4.2 (scripts/papi_crosscheck/): for every
# message of VPP 26.06 (core and plugins), testgovpp and the vectors' synthetic and vat2 APIs,
# random valid values packed by vpp_papi must decode (`vpp-gateway decode`) to the canonical JSON
# of ../shared/vectors/README.md §3, and that JSON, with its partial (defaults left out) and
# lenient (§3.10) forms, must encode (`vpp-gateway encode`) to papi's bytes, byte for byte.
# Prefix lengths stay within 32/128 (--valid-prefix-len): our encoder refuses longer ones on
# purpose. Prints the check's report, then `papi-crosscheck: N messages, M samples, K mismatches`;
# exits non-zero on any mismatch, self-test failure or set-up error. Arguments go to the check
# (`bash scripts/papi-crosscheck.sh --messages '^ip_' --header random`; see its --help).
#
# Installs vpp-papi==2.4.2 into .venv-papi/ (python3 -m venv; where venv is missing, into the
# user's site with pip --user, as Benchmarks/run.sh does) when it is missing.
# Environment: VPP_GATEWAY_BIN (the binary to use; default: built into SWIFT_SCRATCH),
# SWIFT_SCRATCH (default .build-papi), VPP_GATEWAY_SHARED (default ../shared beside the
# checkout), PAPI_CROSSCHECK_PER_MESSAGE (samples per message, default 40: about 80 s on 2 cores;
# most of that is starting our CLI twice per message, so 5 takes 60 s and 80 takes 90 s),
# PAPI_CROSSCHECK_SEED (default 1).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
papi_version=2.4.2
per_message=${PAPI_CROSSCHECK_PER_MESSAGE:-40}
seed=${PAPI_CROSSCHECK_SEED:-1}
shared=${VPP_GATEWAY_SHARED:-$(cd "$repo/../shared" && pwd)}

# vpp_papi: a venv under .venv-papi/ (git-ignored), or `pip install --user` where venv is missing.
venv=$repo/.venv-papi
has_papi() { "$1" -c "import importlib.metadata as m, sys; sys.exit(m.version('vpp_papi') != '$papi_version')" 2>/dev/null; }
python=""
if [ -x "$venv/bin/python" ] && has_papi "$venv/bin/python"; then
  python=$venv/bin/python
elif python3 -m venv "$venv" >/dev/null 2>&1 || python3 -m venv --clear "$venv" >/dev/null 2>&1; then
  echo "papi-crosscheck: installing vpp-papi==$papi_version into .venv-papi/" >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "vpp-papi==$papi_version" >&2
  python=$venv/bin/python
else
  echo "papi-crosscheck: python3 -m venv is unavailable; installing vpp-papi==$papi_version with pip --user" >&2
  has_papi python3 || python3 -m pip install --quiet --user --disable-pip-version-check "vpp-papi==$papi_version" >&2 || true
  python=$(command -v python3)
fi
if ! has_papi "$python"; then
  echo "papi-crosscheck: could not set up vpp_papi $papi_version for $python" >&2
  exit 2
fi

gw=${VPP_GATEWAY_BIN:-}
if [ -z "$gw" ]; then
  scratch=${SWIFT_SCRATCH:-.build-papi}
  swift build --scratch-path "$scratch" --product vpp-gateway >&2
  gw="$repo/$scratch/debug/vpp-gateway"
fi

log=$(mktemp "${TMPDIR:-/tmp}/papi-crosscheck.XXXXXX")
trap 'rm -f "$log"' EXIT
started=$(date +%s)
status=0
PYTHONPATH="$repo/scripts" "$python" -u -m papi_crosscheck --bin "$gw" --shared "$shared" \
  --per-message "$per_message" --seed "$seed" --valid-prefix-len "$@" 2>&1 | tee "$log" || status=$?
elapsed=$(( $(date +%s) - started ))

# The summary, from the report's own lines.
messages=$(sed -n 's/^messages checked: \([0-9]*\), samples: [0-9]*.*/\1/p' "$log")
samples=$(sed -n 's/^messages checked: [0-9]*, samples: \([0-9]*\).*/\1/p' "$log")
mismatches=$(sed -n 's/^MISMATCHES: \([0-9][0-9]*\) .*/\1/p; s/^MISMATCHES: none$/0/p' "$log")
selftest=$(sed -n 's/^normaliser self-test on public.jsonl: \([0-9]*\)\/\([0-9]*\) vectors.*/\2 - \1/p' "$log")
selftest=$(( ${selftest:-0} ))
internal=$(sed -n 's/^INTERNAL ERRORS in this script (\([0-9]*\)):$/\1/p' "$log")
echo "papi-crosscheck: $elapsed s, exit status $status" >&2
if [ -z "$messages" ] || [ -z "$mismatches" ]; then
  echo "papi-crosscheck: no report (set-up error, exit status $status)"
  exit $(( status ? status : 2 ))
fi
extra=""
[ "$selftest" -gt 0 ] && extra+=", $selftest self-test failures"
[ -n "$internal" ] && extra+=", $internal internal errors"
echo "papi-crosscheck: $messages messages, $samples samples, $mismatches mismatches$extra"
if [ "$status" -ne 0 ] || [ "$mismatches" -ne 0 ] || [ -n "$extra" ]; then
  exit 1
fi
