#!/usr/bin/env bash
# README's first command: set up, export the default (CPU) bundles, then show each path on its
# own (voice, vision, understanding) and finally the main job: `edge-assistant run --demo`.
set -euo pipefail
# shellcheck source=setup.sh
. "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
edge-assistant export --config cpu
edge-assistant devices --config cpu
edge-assistant embed "turn on the light in the kitchen" --config cpu
# A file stands in for the microphone: two commands spoken by espeak-ng, each after the wake
# phrase "okay nabu" (the shipped configs wake on okay_nabu), a second apart.
WAV="$(mktemp --suffix .wav)"
python - "$WAV" <<'PY'
import sys
from pathlib import Path
from edge_assistant.daemon.demo import demo_audio
demo_audio(Path(sys.argv[1]), ("turn on the kitchen light", "lock the front door"))
PY
edge-assistant listen --config cpu --home examples/home.yaml --audio-file "$WAV"
rm -f "$WAV"
# A video file stands in for the camera: a person (a photo from scikit-image) walks into an
# empty room and leaves; watch prints each change of what it sees, with per-stage timings.
AVI="$(mktemp --suffix .avi)"
python - "$AVI" <<'PY'
import sys
from pathlib import Path
sys.path.insert(0, "bench")
import vision_data
vision_data.write_video(Path(sys.argv[1]), (frame for frame, _ in vision_data.scene(90)))
PY
edge-assistant watch --config cpu --home examples/home.yaml --video-file "$AVI" --area living_room
rm -f "$AVI"
edge-assistant understand --config cpu --home examples/home.yaml --area living_room <<'SENTENCES'
could you kill the lights in the kitchen
uh make the lamp by the bed red
set a timer for five minutes
{"text": "turn on the light", "context": {"speaker_area": "bedroom", "camera": true}}
{"text": "turn that off", "context": {"pointing_target": "tv", "gesture": "pointing", "camera": true}}
{"text": "it's too bright in here", "context": {"speaker_area": "office", "camera": true}}
unlock the front door
{"text": "is anyone in the kitchen", "context": {"camera": true, "people": {"kitchen": 2}}}
order me a pizza
SENTENCES
# The main job, embedded default: spoken commands and a camera video made on the spot, the log
# sink; each command's decision, actions and end-of-speech-to-action latency, one JSON line.
edge-assistant run --demo
