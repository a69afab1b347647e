"""The daemon: ``edge-assistant run``."""
