"""Capture: audio and video sources (and what hardware there is to capture from)."""
