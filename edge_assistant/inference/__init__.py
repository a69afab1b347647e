"""Inference layer: bundles (verified model folders) run by a registry of backends."""

from edge_assistant.inference.base import Backend, DeviceInfo, LoadedModel
from edge_assistant.inference.bundle import Bundle, Manifest, open_bundle
from edge_assistant.inference.loader import Placement, load_role, placements
from edge_assistant.inference.registry import backend_names, get_backend, register_backend

__all__ = [
    "Backend",
    "Bundle",
    "DeviceInfo",
    "LoadedModel",
    "Manifest",
    "Placement",
    "backend_names",
    "get_backend",
    "load_role",
    "open_bundle",
    "placements",
    "register_backend",
]
