#!/usr/bin/env bash
# README's first command: set up, export the default (CPU) bundles, embed a sentence.
set -euo pipefail
# shellcheck source=setup.sh
. "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
edge-assistant export --config cpu
edge-assistant devices --config cpu
edge-assistant embed "turn on the light in the kitchen" --config cpu
