"""The daemon section of a device config: who this device is, its queues, its health
endpoint and how long it may take to stop."""

from __future__ import annotations

from pydantic import Field

from edge_assistant.config.loading import StrictModel


class SupervisionConfig(StrictModel):
    """What the daemon does when one of its tasks (hear, see, commands, ...) fails: restart
    it after a growing wait; when it keeps failing, exit non-zero so systemd restarts the
    whole daemon (never exit 0 after a failure)."""

    restart_initial_s: float = Field(0.5, gt=0, le=60, description="First wait before a restart.")
    restart_max_s: float = Field(30.0, gt=0, le=600, description="Longest wait between restarts.")
    max_restarts: int = Field(
        5, ge=0, le=1000, description="Failures of one task tolerated within restart_window_s."
    )
    restart_window_s: float = Field(
        300.0, gt=0, description="More failures than max_restarts in this long: exit non-zero."
    )


class DaemonConfig(StrictModel):
    name: str = Field(
        "edge-assistant",
        pattern=r"^[A-Za-z0-9_-]{1,64}$",
        description="This device's name: its MQTT client id and topic level, its journal source.",
    )
    area: str | None = Field(
        None, description="Area id of home.yaml the device stands in (commands naming none)."
    )
    queue_size: int = Field(8, ge=1, le=256, description="Transcripts waiting to be handled.")
    drain_s: float = Field(2.0, gt=0, le=30, description="On SIGTERM, finish commands this long.")
    health_host: str = Field("127.0.0.1", description="Health and metrics endpoint address.")
    health_port: int = Field(9723, ge=0, le=65535, description="0 = no endpoint.")
    watchdog: bool = Field(True, description="Send systemd WATCHDOG=1 when the unit asks.")
    supervision: SupervisionConfig = SupervisionConfig()
    speak: bool = Field(
        True, description="Say responses and chime (else only log them); `feedback` says how."
    )
