"""edge-assistant: an on-device smart-home assistant that hears and sees."""

__version__ = "0.1.0"
