#!/usr/bin/env bash
# Checks deploy/ where no container engine runs and systemd is not PID 1:
#  1. systemd-analyze verify of systemd/vpp-gateway.service, in a scratch root holding the
#     system's units, a stand-in vpp.service (unless one is installed) and the built binary as
#     /usr/bin/vpp-gateway; any message fails. Then `systemd-analyze security` must rate the
#     unit's exposure at most 2.0 ("OK").
#  2. pytest deploy/tests: every Kubernetes manifest parses and the fields that matter agree
#     (image, socket volume, probes, ports, tokens Secret, resources, securityContext), the
#     Dockerfile's stages, user and port match them, the unit's settings; and the built gateway
#     serves a simulated VPP from inside the unit's sandbox (seccomp filter,
#     MemoryDenyWriteExecute, read-only file system, unprivileged user in VPP's group).
#
# Installs pytest and PyYAML into .venv-deploy/ (python3 -m venv) and, when systemd-analyze is
# missing, the `systemd` package (apt-get; root or sudo).
# Environment: VPP_GATEWAY_BIN (the binary to check; default: built into SWIFT_SCRATCH),
# SWIFT_SCRATCH (default .build-deploy).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)

venv=.venv-deploy
if ! "$venv/bin/python" -c "import pytest, yaml" 2>/dev/null; then
  echo "installing pytest and PyYAML into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --upgrade pip >/dev/null
  "$venv/bin/python" -m pip install --quiet pytest pyyaml
fi

if ! command -v systemd-analyze >/dev/null; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "installing systemd (for systemd-analyze)" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends systemd >/dev/null
fi

if [ -z "${VPP_GATEWAY_BIN:-}" ]; then
  scratch=${SWIFT_SCRATCH:-.build-deploy}
  swift build --scratch-path "$scratch" --product vpp-gateway >&2
  VPP_GATEWAY_BIN="$(pwd)/$scratch/debug/vpp-gateway"
fi
export VPP_GATEWAY_BIN

# --- 1. systemd unit ------------------------------------------------------------------------
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
units="$root/usr/lib/systemd/system"
mkdir -p "$units" "$root/usr/bin" "$root/etc/systemd/system"
for dir in /usr/lib/systemd/system /lib/systemd/system; do
  if [ -d "$dir" ]; then cp -a "$dir/." "$units/"; break; fi
done
if [ ! -e "$units/vpp.service" ] && [ ! -e /etc/systemd/system/vpp.service ]; then
  cat > "$units/vpp.service" <<'EOF'
[Unit]
Description=stand-in for VPP's own unit
[Service]
ExecStart=/usr/bin/vpp -c /etc/vpp/startup.conf
EOF
  printf '#!/bin/sh\n' > "$root/usr/bin/vpp"
  chmod 0755 "$root/usr/bin/vpp"
fi
cp deploy/systemd/vpp-gateway.service "$units/"
# The programs the unit runs: the built gateway, and the system's own for the others (kill).
for exe in $(sed -nE 's/^Exec[A-Za-z]*=[-@:+!]*(\/[^ ]+).*/\1/p' deploy/systemd/vpp-gateway.service | sort -u); do
  mkdir -p "$root$(dirname "$exe")"
  if [ "$exe" = /usr/bin/vpp-gateway ]; then
    install -m 0755 "$VPP_GATEWAY_BIN" "$root$exe"
  elif [ -x "$exe" ]; then
    cp "$exe" "$root$exe"
  fi
done

if ! out=$(systemd-analyze verify --root="$root" vpp-gateway.service 2>&1) || [ -n "$out" ]; then
  echo "$out" >&2
  echo "deploy: systemd-analyze verify found problems in deploy/systemd/vpp-gateway.service" >&2
  exit 1
fi
echo "deploy: systemd-analyze verify: vpp-gateway.service OK"

version=$(systemd-analyze --version | awk 'NR==1 {print $2}')
if [ "${version%%[^0-9]*}" -ge 250 ]; then
  if ! out=$(systemd-analyze security --offline=yes --threshold=20 --root="$root" vpp-gateway.service 2>&1); then
    echo "$out" >&2
    echo "deploy: the unit's exposure rose above 2.0" >&2
    exit 1
  fi
  echo "deploy: systemd-analyze security: $(grep -o 'Overall exposure level.*' <<<"$out")"
else
  echo "deploy: systemd $version has no offline security analysis; skipped"
fi

# --- 2. manifests, image, unit settings, sandbox ----------------------------------------------
PYTHONDONTWRITEBYTECODE=1 "$venv/bin/python" -m pytest -q -rs -p no:cacheprovider deploy/tests
echo "deploy: all checks passed in $(( $(date +%s) - start )) s"
