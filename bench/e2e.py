"""Benchmark the whole assistant: audio (and camera video) files through the running daemon
(`edge-assistant run`, a subprocess) to the MQTT messages at a real mosquitto broker.

Commands: sentences for devices of examples/home.yaml that have MQTT topics (espeak-ng,
several voices), 1.5 s apart, repeated to fill ``--soak-minutes`` of audio; video: a person
in the room (``vision_data``), looped. Files are read as fast as the daemon takes them (the
soak is "real time or faster").

* eos_to_action: the daemon's own measurement per command, printed on its stdout: the
  endpointer's wait after the end of speech (audio time) + the recognizer's final work +
  understanding, policy, journal and the MQTT publish until PUBACK (wall time).
* commands: spoken, handled (a JSON line), acted (MQTT message at the broker); lost = spoken
  commands that were understood and allowed but whose message never reached the broker.
* RSS: the daemon's resident memory once ready and at the end; growth over the soak.

stdout: the table and ``RESULT {json}``. Needs mosquitto (scripts/setup.sh installs it).

    python bench/e2e.py [--models-dir DIR] [--soak-minutes 30]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import common
import numpy as np
import soundfile as sf
import vision_data
import yaml
from common import progress, quiet_libraries

from edge_assistant.audio.synthesize import VOICES, concatenate, silence, speak

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from tests.mosquitto import Mosquitto, Subscriber  # noqa: E402

COMMANDS = (  # devices with MQTT topics in examples/home.yaml
    ("turn on the kitchen light", 2),
    ("turn off the kitchen light", 2),
    ("close the kitchen blind", 1),
    ("open the kitchen blind", 1),
    ("turn on the dining room chandelier", 1),
    ("turn off the dining room chandelier", 1),
)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def make_audio(path: Path, minutes: float) -> int:
    """Commands (cycling voices) until ``minutes`` of audio; returns how many were spoken."""
    parts, seconds, count = [silence(1.0)], 1.0, 0
    clips = [speak(text, VOICES[i % 3], seed=i) for i, (text, _) in enumerate(COMMANDS)]
    while seconds < minutes * 60 or count < len(COMMANDS):
        clip = clips[count % len(clips)]
        parts += [clip, silence(1.5, seed=count)]
        seconds += len(clip.audio) / 16000 + 1.5
        count += 1
    audio, _ = concatenate(parts)
    sf.write(path, audio, 16000)
    return count


def main() -> None:
    quiet_libraries()
    parser = common.argument_parser(__doc__)
    parser.add_argument("--soak-minutes", type=float, default=30.0)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="edge-assistant-e2e-"))
    progress(f"making {args.soak_minutes} min of commands and a video")
    spoken = make_audio(work / "commands.wav", args.soak_minutes)
    video = vision_data.write_video(
        work / "room.avi",
        (vision_data.compose(vision_data.people()["astronaut"]) for _ in range(150)),
    )
    with Mosquitto(work) as broker:
        subscriber = Subscriber(broker, "home/#")
        config = yaml.safe_load((REPO / "device_configs" / "cpu.yaml").read_text())
        config.update({
            "actions": {"sink": {"type": "mqtt", "host": broker.host, "port": broker.port},
                        "ttl_s": 10},
            "journal": {"path": str(work / "journal.sqlite3")},
            "daemon": {"health_port": 0, "speak": False, "area": "kitchen"},
            "vision": {"area": "kitchen", "capture": {"loop": True}},
        })  # fmt: skip
        (work / "device.yaml").write_text(yaml.safe_dump(config))
        command = [sys.executable, "-m", "edge_assistant", "run", "--config",
                   str(work / "device.yaml"), "--home", str(REPO / "examples" / "home.yaml"),
                   "--audio-file", str(work / "commands.wav"), "--video-file", str(video),
                   "--wake-word", "none"]  # bare commands: eos->action does not depend on it  # fmt: skip
        if args.models_dir:
            command += ["--models-dir", str(args.models_dir)]
        progress("running the daemon")
        start = time.monotonic()
        with (work / "stderr.log").open("w") as errors:
            proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, text=True,
                                    env={**os.environ, "PYTHONUNBUFFERED": "1"})  # fmt: skip
            lines, first_rss = [], None
            for raw in proc.stdout:
                lines.append(json.loads(raw))
                if first_rss is None:
                    first_rss = rss_mb(proc.pid)  # models loaded, first command done
                last_rss = rss_mb(proc.pid)
            proc.wait()
        seconds = time.monotonic() - start
        time.sleep(1.0)  # the last PUBACKed messages reach the subscriber
        messages = list(subscriber.messages)
    acted = [line for line in lines if line["actions"]]
    published = sum(1 for line in acted for a in line["actions"] if a["ok"])
    failed = sum(1 for line in acted for a in line["actions"] if not a["ok"])
    lost = published - len([m for m in messages if not m[3]]) + failed
    latencies = [line["timings_ms"]["eos_to_action"] for line in acted]
    p50, p95 = (float(np.percentile(latencies, q)) for q in (50, 95))
    growth = 100 * (last_rss - first_rss) / first_rss
    print(f"{'measure':40} value")
    print(f"{'commands spoken / handled / acted':40} {spoken} / {len(lines)} / {len(acted)}")
    print(
        f"{'MQTT messages at the broker':40} {len(messages)} (actions ok {published}, failed {failed})"
    )
    print(f"{'end of speech -> action p50 / p95':40} {p50:.0f} / {p95:.0f} ms")
    print(
        f"{'RSS after load / at the end':40} {first_rss:.0f} / {last_rss:.0f} MB ({growth:+.1f}%)"
    )
    print(f"{'audio soaked, wall time':40} {args.soak_minutes:.1f} min in {seconds / 60:.1f} min")
    print(f"{'daemon exit code':40} {proc.returncode}")
    result = {
        "eos_to_action_p50_ms": round(p50, 1),
        "eos_to_action_p95_ms": round(p95, 1),
        "rss_mb": round(first_rss, 1),
        "soak_rss_growth_pct": round(growth, 2),
        "lost_commands": max(0, lost),
        "commands_spoken": spoken,
        "commands_acted": len(acted),
        "soak_minutes": args.soak_minutes,
    }
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
