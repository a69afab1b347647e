#!/usr/bin/env bash
# README's second command (and CI's): set up, export every variant the tests use, lint, test.
set -euo pipefail
# shellcheck source=setup.sh
. "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
export EDGE_ASSISTANT_MODELS="${EDGE_ASSISTANT_MODELS:-$REPO/models}"
python -m export --config cpu --all
python -m export --config intel-npu
ruff check .
ruff format --check .
python -m pytest -q "$@"
