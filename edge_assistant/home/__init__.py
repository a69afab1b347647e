"""The home model: floors, areas, devices (with aliases and how to reach them), people and
policies, loaded from ``home.yaml`` and validated before anything uses it."""

from edge_assistant.home.model import Area, Device, Floor, Home, Person, Policies, load_home

__all__ = ["Area", "Device", "Floor", "Home", "Person", "Policies", "load_home"]
