#!/usr/bin/env bash
# Make sure promtool and the Prometheus server are installed (Debian's `prometheus` package).
# Idempotent: does nothing when both binaries are present. The observability tests need them
# (promtool check/test rules; a real Prometheus scraping the services), so `make test` calls this
# first and a fresh CI machine bootstraps itself. Needs root (or sudo) and apt-get.
set -euo pipefail

have_both() { command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1; }

if have_both; then
    echo "ensure-prometheus: found $(command -v prometheus) and $(command -v promtool)"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-prometheus: promtool/prometheus missing and apt-get is not available;" >&2
    echo "  install Prometheus (server and promtool) by hand and put them on PATH." >&2
    exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo -n"
    else
        echo "ensure-prometheus: need root to apt-get install prometheus (run as root or install sudo)" >&2
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive
# Wait for a concurrent apt/dpkg (another job on the same machine) instead of failing at once.
APT_OPTS=(-q -o DPkg::Lock::Timeout=300)
echo "ensure-prometheus: promtool/prometheus missing; running apt-get update"
$SUDO apt-get "${APT_OPTS[@]}" update >/dev/null
echo "ensure-prometheus: installing Debian package 'prometheus' (server + promtool)"
# --no-install-recommends: skip the node exporter etc.; policy-rc.d keeps the package from
# starting a system-wide Prometheus service (the tests start their own on a free port).
POLICY=/usr/sbin/policy-rc.d
CREATED_POLICY=0
if [ ! -e "$POLICY" ] && [ -z "$SUDO" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$POLICY" && chmod +x "$POLICY" && CREATED_POLICY=1
fi
cleanup() { if [ "$CREATED_POLICY" = 1 ]; then rm -f "$POLICY"; fi; }
trap cleanup EXIT
$SUDO apt-get "${APT_OPTS[@]}" install -y --no-install-recommends prometheus >/dev/null

if ! have_both; then
    echo "ensure-prometheus: apt-get install prometheus finished but promtool/prometheus are still not on PATH" >&2
    exit 1
fi
echo "ensure-prometheus: installed $(prometheus --version 2>&1 | head -n1)"
