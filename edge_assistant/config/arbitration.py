"""The arbitration section of a device config: several devices in one home share an MQTT
broker, and when more than one hears the same wake word, the one that heard it best acts.

Each device publishes its wake (name, score) on one shared topic and reads the others'. A
device whose wake is beaten by another's within ``window_ms`` (a higher score; on a tie, the
name that sorts first) stays quiet. The window passes while the command is being spoken, so
arbitration adds no latency to a command that takes longer than the window to say.
"""

from __future__ import annotations

from pydantic import Field, field_validator

from edge_assistant.config.actions import MqttBrokerConfig, check_base_topic
from edge_assistant.config.loading import StrictModel


class ArbitrationConfig(StrictModel):
    enabled: bool = Field(False, description="Arbitrate wake words with the other devices.")
    broker: MqttBrokerConfig | None = Field(
        None, description="Broker shared by the devices; null = the mqtt sink's broker."
    )
    topic: str = Field(
        "edge-assistant/arbitration", description="Topic every device publishes its wakes on."
    )
    window_ms: int = Field(
        300,
        ge=20,
        le=3000,
        description="Wakes this close together are the same wake word heard in several rooms.",
    )

    @field_validator("topic")
    @classmethod
    def _topic(cls, value: str) -> str:
        return check_base_topic(value)
