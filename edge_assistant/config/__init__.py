"""Configuration: device configs (targets) validated before anything loads."""

from edge_assistant.config.device import (
    ROLE_SPECS,
    DeviceConfig,
    LoadedDeviceConfig,
    RoleConfig,
    load_device_config,
)

__all__ = ["ROLE_SPECS", "DeviceConfig", "LoadedDeviceConfig", "RoleConfig", "load_device_config"]
