#!/usr/bin/env bash
# Builds the release benchmark binary, installs vpp_papi for the side-by-side comparison, and
# runs the benchmarks; the tables go to stdout, progress and build output to stderr.
#
#   bash Benchmarks/run.sh [SECTION...] [OPTIONS]     e.g.  bash Benchmarks/run.sh codec
#   sections: codec (default), client, http, sse, all
#
# Options are those of `vpp-benchmarks --help`. Environment:
#   VPP_PAPI_VERSION       vpp-papi version to install (default 2.4.2, the one the vectors use)
#   VPPGW_BENCH_SCRATCH    SwiftPM scratch path (default .build-bench in the repo)
#   VPPGW_BENCH_PYTHON     use this Python (must have vpp_papi) instead of .venv-bench/
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
    export PATH="/opt/swift/usr/bin:$PATH"
fi

papi_version="${VPP_PAPI_VERSION:-2.4.2}"
venv="$repo/.venv-bench"
scratch="${VPPGW_BENCH_SCRATCH:-$repo/.build-bench}"

# Which sections run decides what is needed: vpp_papi for codec (the default section), wrk for
# http, a high open-file limit for sse.
want_papi=1
want_wrk=0
sections=0
codec=0
for a in "$@"; do
    case "$a" in
        --no-papi|--python|--profile|-h|--help|help) want_papi=0 ;;
        codec) sections=1; codec=1 ;;
        all) sections=1; codec=1; want_wrk=1 ;;
        client|sse) sections=1 ;;
        http) sections=1; want_wrk=1 ;;
    esac
done
if [ "$sections" = 1 ] && [ "$codec" = 0 ]; then want_papi=0; fi

log() { echo "[run.sh] $*" >&2; }

# vpp_papi: a venv under .venv-bench/ (git-ignored), or `pip install --user` where venv is missing.
python=""
if [ "$want_papi" = 1 ]; then
    if [ -n "${VPPGW_BENCH_PYTHON:-}" ]; then
        python="$VPPGW_BENCH_PYTHON"
    else
        has_papi() { "$1" -c "import importlib.metadata as m, sys; sys.exit(m.version('vpp_papi') != '$papi_version')" 2>/dev/null; }
        if [ -x "$venv/bin/python" ] && has_papi "$venv/bin/python"; then
            python="$venv/bin/python"
        elif python3 -m venv "$venv" >/dev/null 2>&1 || python3 -m venv --clear "$venv" >/dev/null 2>&1; then
            log "installing vpp-papi==$papi_version into .venv-bench/"
            "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "vpp-papi==$papi_version" >&2
            python="$venv/bin/python"
        elif command -v python3 >/dev/null 2>&1; then
            log "python3 -m venv is unavailable; installing vpp-papi==$papi_version with pip --user"
            has_papi python3 || python3 -m pip install --quiet --user --disable-pip-version-check "vpp-papi==$papi_version" >&2
            python="$(command -v python3)"
        fi
        if [ -z "$python" ] || ! has_papi "$python"; then
            log "could not set up vpp_papi $papi_version; the table will show the Swift side only"
            python=""
        fi
    fi
fi

# wrk (the Debian package) drives the HTTP section.
if [ "$want_wrk" = 1 ] && ! command -v wrk >/dev/null 2>&1; then
    log "installing wrk"
    as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
    as_root apt-get install -y wrk >&2 || { as_root apt-get update >&2 && as_root apt-get install -y wrk >&2; } \
        || log "could not install wrk; the http section will fail"
fi

# 10,000 SSE subscribers and the gateway's 10,000 connections need file descriptors; the
# processes raise their soft limit to the hard limit themselves, this raises the hard one when allowed.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

log "building vpp-benchmarks (release, scratch path ${scratch#"$repo"/})"
build_log="$(mktemp)"
trap 'rm -f "$build_log"' EXIT
if ! swift build -c release --scratch-path "$scratch" --product vpp-benchmarks >"$build_log" 2>&1; then
    cat "$build_log" >&2
    log "build failed"
    exit 1
fi
if grep -q "warning:" "$build_log"; then grep "warning:" "$build_log" >&2; fi
bin="$(swift build -c release --scratch-path "$scratch" --show-bin-path)/vpp-benchmarks"

if [ -z "${VPPGW_BENCH_REVISION:-}" ] && rev="$(git -C "$repo" rev-parse --short HEAD 2>/dev/null)"; then
    git -C "$repo" diff --quiet HEAD -- Sources Benchmarks Package.swift 2>/dev/null || rev="$rev+changes"
    export VPPGW_BENCH_REVISION="$rev"
fi

args=("$@")
if [ -n "$python" ]; then args+=(--python "$python"); fi
log "swift: $(swift --version 2>/dev/null | head -n 1)"
"$bin" ${args[@]+"${args[@]}"}
