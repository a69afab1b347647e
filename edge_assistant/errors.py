"""The error hierarchy: every error a user can cause names what to fix."""

from __future__ import annotations


class EdgeAssistantError(Exception):
    """Base of every error edge-assistant raises on purpose."""


class ConfigError(EdgeAssistantError):
    """A config file is missing, unreadable or invalid (the message names file and key)."""


class BundleError(EdgeAssistantError):
    """A model bundle is missing, corrupt or does not match its manifest."""


class BackendUnavailableError(EdgeAssistantError):
    """An inference backend cannot be imported or is not registered."""


class DeviceUnavailableError(EdgeAssistantError):
    """A device (GPU, NPU, ...) cannot run a model; carries the backend's own reason."""

    def __init__(self, backend: str, device: str, reason: str) -> None:
        self.backend = backend
        self.device = device
        self.reason = reason.strip()
        super().__init__(f"{backend} cannot use device {device}: {self.reason}")


class ExportError(EdgeAssistantError):
    """An export step failed; nothing was written for that variant."""


class FidelityGateError(ExportError):
    """An exported variant is not faithful enough to its reference; nothing was written."""
