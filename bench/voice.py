"""Benchmark the voice path on synthesized speech: accuracy, end-of-speech latency, idle
CPU, wake word detection and false accepts.

Data (``voice_data.py``, made on the spot): ``--commands`` sentences of the speech grammar
for ``examples/home.yaml``, each in one espeak-ng voice and speed (6 voices incl. Klatt
variants, 2 speeds), dithered; noisy copies at 10 dB SNR (pink noise).

* grammar: the whole listener (silero VAD from the cpu config's bundle, endpointing,
  pocketsphinx streaming with the home grammar, no wake word), clean and noisy; a sentence
  is right when the accepted text equals the spoken one word for word.
  ``command`` accuracy: the heard text is understood (cpu config's Understander, satellite
  in the living room) as the same intent, slots and devices as the said text ("turn on the
  lights in bedroom" heard as "... in the bedroom" is the same command).
* eos_to_text: from the true end of speech in the audio (known from synthesis) until the
  transcript is ready = audio time until the end was decided + compute after it (final
  search), on the clean set (noisy reported too); also over accepted transcripts only (a
  rejected utterance waits max_silence_ms: the speaker may be pausing mid-command).
* whisper: faster-whisper tiny.en on the first ``--whisper`` clean clips; two_pass: the
  grammar, then whisper on what it rejected, on the same clips.
* idle_cpu: process CPU time of VAD + microWakeWord (okay_nabu) over 60 s of room silence
  and of pink noise (-40 dBFS), as percent of one core.
* wake: ``--wake`` streams of silence + "okay nabu" + command (6 voices, 2 speeds);
  false accepts per hour on ``--negative-minutes`` of espeak reading unrelated text.

stdout: the table and, last, ``RESULT {json}``. Run after ``python -m export --config cpu``::

    python bench/voice.py [--models-dir DIR] [--commands 60] [--whisper 24] [--wake 24]
                          [--negative-minutes 60]
"""

from __future__ import annotations

import json
import resource
import sys
import time

import common
import numpy as np
import voice_data
from common import progress, quiet_libraries

from edge_assistant.audio.asr import load_engine
from edge_assistant.audio.asr.two_pass import TwoPassRecognizer
from edge_assistant.audio.listener import Listener, TranscriptEvent
from edge_assistant.audio.synthesize import (
    SPEEDS,
    VOICES,
    concatenate,
    dither,
    pink_noise,
    silence,
    speak,
)
from edge_assistant.audio.vad import SileroVad
from edge_assistant.audio.wakeword import load_wake_word
from edge_assistant.config.device import load_device_config
from edge_assistant.config.voice import (
    MicroWakeConfig,
    NoWakeConfig,
    PocketsphinxConfig,
    WakeModel,
    WhisperConfig,
)
from edge_assistant.understanding.context import Context
from edge_assistant.understanding.understand import Understander

WAKE = MicroWakeConfig(type="micro", models=[WakeModel(model="okay_nabu")])


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_listener(listener: Listener, audio: np.ndarray) -> list:
    events = []
    for i in range(0, len(audio), 512):
        events += listener.process(audio[i : i + 512])
    return events + listener.flush()


def same_command(understander, said: str, heard: str) -> bool:
    """The heard text asks for what was said: same intent, slots and target devices."""
    context = Context(satellite_area="living_room")
    a, b = understander.understand(said, context), understander.understand(heard, context)
    return a.intent == b.intent and a.slots == b.slots and a.targets == b.targets


def grammar_pass(vad, recognizer, utterances, understander) -> dict:
    config = load_device_config("cpu").config.voice.model_copy(
        update={"wake_word": NoWakeConfig(type="none")}
    )
    right, commands, latencies, accepted_ms, rejected, results = 0, 0, [], [], [], []
    for u in utterances:
        vad.reset()
        listener = Listener(config, vad, load_wake_word(config.wake_word), recognizer)
        transcripts = [
            e for e in run_listener(listener, u.clip.audio) if isinstance(e, TranscriptEvent)
        ]
        text = " ".join(t.recognition.text for t in transcripts if t.recognition.accepted)
        ok = text == u.expected
        right += ok
        commands += ok or (bool(text) and same_command(understander, u.expected, text))
        results.append((u, text, ok))
        if transcripts:
            latencies.append(transcripts[-1].latency_ms(u.clip.speech_end))
            if transcripts[-1].recognition.accepted:
                accepted_ms.append(latencies[-1])
        if not ok:
            rejected.append(u)
    return {
        "acc": right / len(utterances),
        "command_acc": commands / len(utterances),
        "p50": float(np.percentile(latencies, 50)) if latencies else float("nan"),
        "p95": float(np.percentile(latencies, 95)) if latencies else float("nan"),
        "p95_accepted": float(np.percentile(accepted_ms, 95)) if accepted_ms else float("nan"),
        "wrong": rejected,
        "results": results,
    }


def idle_cpu(vad: SileroVad, seconds: float, noise: bool) -> float:
    audio = (
        dither(pink_noise(int(seconds * 16000), seed=3) * 0.01)
        if noise
        else silence(seconds, seed=3)
    )
    wake = load_wake_word(WAKE)
    vad.reset()
    start = cpu_s()
    for i in range(0, len(audio), 512):
        frame = audio[i : i + 512]
        wake.process(frame)
        if len(frame) == 512:
            vad.probability(frame.astype(np.float32) / 32768.0)
    return 100 * (cpu_s() - start) / seconds


def wake_streams(count: int, commands: list[str]) -> tuple[int, int]:
    wake = load_wake_word(WAKE)
    detected = 0
    for index in range(count):
        voice, speed = VOICES[index % len(VOICES)], SPEEDS[(index // len(VOICES)) % 2]
        phrase = speak("okay nabu", voice, speed, lead_s=0.1, tail_s=0.4, seed=index)
        command = speak(commands[index % len(commands)], voice, speed, 0.1, 0.5, seed=index)
        audio, spans = concatenate([silence(2.0, index), phrase, command, silence(2.0, index)])
        wake.reset()
        hits = [d for i in range(0, len(audio), 512) for d in wake.process(audio[i : i + 512])]
        start, end = spans[0]
        detected += any(start <= d.sample <= end + 8000 for d in hits)
    return detected, count


def false_accepts(minutes: float) -> tuple[int, float]:
    wake = load_wake_word(WAKE)
    sentences = [s.strip() + "." for s in voice_data.NEGATIVE_TEXT.split(".") if s.strip()]
    total, hits, index = 0, 0, 0
    while total < minutes * 60 * 16000:
        voice, speed = VOICES[index % len(VOICES)], SPEEDS[(index // len(VOICES)) % 2]
        clip = speak(" ".join(sentences[index % 4 :] + sentences[: index % 4]), voice, speed,
                     lead_s=0.3, tail_s=0.3, seed=index)  # fmt: skip
        for i in range(0, len(clip.audio), 512):
            hits += len(wake.process(clip.audio[i : i + 512]))
        total += len(clip.audio)
        index += 1
    return hits, total / 16000 / 3600


def main() -> None:
    quiet_libraries()
    parser = common.argument_parser(__doc__)
    parser.add_argument("--commands", type=int, default=60)
    parser.add_argument("--whisper", type=int, default=24)
    parser.add_argument("--wake", type=int, default=24)
    parser.add_argument("--negative-minutes", type=float, default=60.0)
    args = parser.parse_args()
    device = load_device_config("cpu")
    models = device.models_dir(args.models_dir)
    common.require_bundles(
        [models / "vad" / "onnxruntime-fp32"], "python -m export --config cpu", models
    )
    home = voice_data.home()
    vad = SileroVad.from_config(device, models)
    sentences = voice_data.commands(args.commands)
    progress(f"synthesizing {len(sentences)} commands x clean/noisy")
    clean = list(voice_data.utterances(sentences))
    noisy = list(voice_data.utterances(sentences, noisy=True))
    grammar = TwoPassRecognizer(load_engine(PocketsphinxConfig(type="pocketsphinx"), home), None)
    progress("grammar pass")
    understander = Understander.from_config(device, home, models)
    g_clean = grammar_pass(vad, grammar, clean, understander)
    g_noisy = grammar_pass(vad, grammar, noisy, understander)
    progress("whisper")
    whisper = load_engine(WhisperConfig(type="whisper", threads=2), home)
    subset = clean[: args.whisper]
    w_right, two_right, w_ms = 0, 0, []
    for u, (_, g_text, g_ok) in zip(subset, g_clean["results"], strict=False):
        start = time.perf_counter()
        w = whisper.transcribe(u.clip.audio)
        w_ms.append((time.perf_counter() - start) * 1000)
        w_right += w.accepted and w.text == u.expected
        two_right += g_ok or (not g_text and w.accepted and w.text == u.expected)
    progress("idle CPU (2 x 60 s)")
    idle_quiet, idle_noise = idle_cpu(vad, 60, False), idle_cpu(vad, 60, True)
    progress(f"wake word: {args.wake} streams, {args.negative_minutes} min of negatives")
    detected, streams = wake_streams(args.wake, sentences)
    fa, hours = false_accepts(args.negative_minutes)
    rows = [
        ("grammar (pocketsphinx) clean", f"{g_clean['acc']:.3f}", f"p50 {g_clean['p50']:.0f} / p95 {g_clean['p95']:.0f} ms"),
        ("grammar (pocketsphinx) 10 dB", f"{g_noisy['acc']:.3f}", f"p50 {g_noisy['p50']:.0f} / p95 {g_noisy['p95']:.0f} ms"),
        ("  eos->text p95, accepted only", f"{g_clean['p95_accepted']:.0f} / {g_noisy['p95_accepted']:.0f} ms", "clean / 10 dB; rejects wait max_silence_ms"),
        ("grammar, same command clean / 10 dB", f"{g_clean['command_acc']:.3f} / {g_noisy['command_acc']:.3f}", "heard text understood as the said text"),
        ("whisper tiny.en clean", f"{w_right / len(subset):.3f}", f"mean {np.mean(w_ms):.0f} ms per utterance"),
        ("two-pass clean (same clips)", f"{two_right / len(subset):.3f}", ""),
        ("idle CPU: silence / noise", f"{idle_quiet:.2f}% / {idle_noise:.2f}%", "VAD + okay_nabu, % of one core"),
        ("wake okay_nabu detection", f"{detected}/{streams}", ""),
        ("wake false accepts", f"{fa} in {hours:.2f} h", f"{fa / hours:.2f} per hour"),
    ]  # fmt: skip
    print(f"{'measure':34} {'value':>18}  notes")
    for name, value, note in rows:
        print(f"{name:34} {value:>18}  {note}")
    for u in g_clean["wrong"][:10]:
        print(f"  clean miss [{u.voice} {u.speed}]: {u.expected!r}", file=sys.stderr)
    result = {
        "grammar_acc_clean": round(g_clean["acc"], 3),
        "grammar_acc_noisy": round(g_noisy["acc"], 3),
        "grammar_command_acc_clean": round(g_clean["command_acc"], 3),
        "grammar_command_acc_noisy": round(g_noisy["command_acc"], 3),
        "eos_to_text_p95_ms": round(g_clean["p95"], 1),
        "eos_to_text_p95_ms_noisy": round(g_noisy["p95"], 1),
        "eos_to_text_p95_ms_accepted": round(g_clean["p95_accepted"], 1),
        "idle_cpu_pct": round(max(idle_quiet, idle_noise), 2),
        "wake_detect_rate": round(detected / streams, 3),
        "wake_fa_per_hour": round(fa / hours, 2),
        "whisper_acc_clean": round(w_right / len(subset), 3),
        "two_pass_acc_clean": round(two_right / len(subset), 3),
    }
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
