#!/usr/bin/env bash
# Idempotent set-up on a fresh Debian/Ubuntu machine: system packages, a venv in .venv,
# the package with its export and dev extras. Sourced by demo.sh and test.sh.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# libportaudio2: sounddevice's C library (microphone capture); espeak-ng: the spoken test
# data and the demo's spoken command are synthesized on the spot; mosquitto: the MQTT broker
# the action tests publish to (in /usr/sbin, often not on a user's PATH).
if ! ldconfig -p 2>/dev/null | grep -q libportaudio.so.2 || ! command -v espeak-ng >/dev/null \
    || ! { command -v mosquitto || [ -x /usr/sbin/mosquitto ]; } >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update -qq
    as_root apt-get install -y -qq libportaudio2 espeak-ng mosquitto >/dev/null
fi

PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null || PYTHON=python3
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
# shellcheck disable=SC1091
. .venv/bin/activate
# Reinstall whenever pyproject.toml changed since the last successful install.
STAMP=".venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -e "$STAMP" ]; then
    echo "installing into .venv (log: .venv/install.log) ..." >&2
    {
        pip install -U pip
        # The CPU build first: a plain `torch` requirement would pull GBs of CUDA wheels.
        pip install torch==2.13.0
        pip install -e '.[export,dev]'
    } > .venv/install.log 2>&1 || { tail -40 .venv/install.log >&2; exit 1; }
    rm -f .venv/.installed-*
    touch "$STAMP"
fi
