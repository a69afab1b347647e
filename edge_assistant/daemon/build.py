"""Assemble the assistant from a device config and a home: every model loaded once, before
the first frame or sample, so a missing bundle or a bad key fails at start with its name."""

from __future__ import annotations

import logging
from pathlib import Path

from edge_assistant.actions import load_sink
from edge_assistant.audio.listener import Listener
from edge_assistant.capture.text_source import TextSource
from edge_assistant.config.device import LoadedDeviceConfig
from edge_assistant.daemon.arbitration import Arbiter
from edge_assistant.daemon.assistant import Assistant
from edge_assistant.feedback.speech import Voice
from edge_assistant.home.model import load_home
from edge_assistant.journal.journal import Journal
from edge_assistant.understanding.understand import Understander

log = logging.getLogger(__name__)


def build(
    device: LoadedDeviceConfig,
    home_path: Path,
    audio_file: Path | None = None,
    video_file: Path | None = None,
    realtime: bool = False,
    models_dir: Path | None = None,
    text_file: Path | str | None = None,
):
    """(assistant, audio source, video source or None). ``text_file``: typed commands
    (a file, or ``-`` for standard input) instead of any audio."""
    from edge_assistant.capture.file_source import FileSource
    from edge_assistant.capture.microphone import MicrophoneSource

    config = device.config
    home = load_home(home_path)
    typed = TextSource(text_file) if text_file is not None else None  # a bad file fails first
    # before the big models: a bad voice fails start-up at once, naming its file
    voice = Voice.from_config(
        config.feedback, enabled=config.daemon.speak, base_dir=device.path.parent
    )
    journal = Journal(config.journal)
    for action in journal.recover():
        log.warning("interrupted by the last stop (its fate unknown): %s", action)
    listener = Listener.from_config(device, home, models_dir)
    understander = Understander.from_config(device, home, models_dir)
    sink = load_sink(config.actions.sink, home)
    vision, video = None, None
    capture = config.vision.capture
    if video_file is not None or capture.enabled:
        from edge_assistant.capture.video import VideoSource
        from edge_assistant.vision.pipeline import VisionPipeline

        if video_file is not None:
            capture = capture.model_copy(update={"source": str(video_file), "enabled": True})
        vision = VisionPipeline.from_config(device, home, models_dir)
        video = VideoSource(capture, realtime=realtime or video_file is None)
    speaker = _speaker(device, home, models_dir)
    audio = (
        typed
        if typed is not None
        else FileSource(audio_file, realtime=realtime)
        if audio_file is not None
        else MicrophoneSource(config.voice.capture, retry_at_start=True)
    )
    assistant = Assistant(
        device, home_path, home, listener=listener, understander=understander, sink=sink,
        journal=journal, vision=vision, speaker=speaker, voice=voice, arbiter=_arbiter(device),
    )  # fmt: skip
    return assistant, audio, video


def _speaker(device: LoadedDeviceConfig, home, models_dir: Path | None):
    """The enrolled voices (with the encoder), when anyone is enrolled."""
    from edge_assistant.audio.speaker import Enrollment, SpeakerEncoder
    from edge_assistant.cli.enroll import default_voices_dir

    folder = default_voices_dir()
    if not folder.is_dir() or not any(folder.glob("*.npy")):
        log.info("no enrolled voices in %s: sensitive commands need a face", folder)
        return None
    encoder = SpeakerEncoder.from_config(device, models_dir)
    return Enrollment(folder, encoder, home=home)


def _arbiter(device: LoadedDeviceConfig) -> Arbiter | None:
    """Arbitration with the other devices of the home, when the config turns it on."""
    broker = device.config.arbitration_broker()
    if broker is None:
        return None
    if device.config.voice.wake_word.type == "none":
        log.warning("arbitration is on but there is no wake word to arbitrate (wake_word: none)")
    return Arbiter(device.config.arbitration, broker, device.config.daemon.name)
