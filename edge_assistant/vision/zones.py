"""Zones of the camera view (polygons in frame fractions) mapped to areas and devices:
where a point lies, and which device zone a ray (a pointing finger or arm) hits first."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edge_assistant.config.vision import ZoneConfig
from edge_assistant.errors import ConfigError
from edge_assistant.home.model import Home


@dataclass(frozen=True)
class Zone:
    name: str
    polygon: np.ndarray  # (N, 2) frame fractions
    area: str | None
    device: str | None


class Zones:
    def __init__(self, zones: list[Zone]) -> None:
        self.zones = zones

    @classmethod
    def from_config(cls, configs: list[ZoneConfig], home: Home | None) -> Zones:
        """Zones of the device config, checked against home.yaml's area and device ids."""
        if home is not None:
            areas = {a.id for a in home.areas}
            devices = {d.id for d in home.devices}
            for z in configs:
                if z.area is not None and z.area not in areas:
                    raise ConfigError(
                        f"vision.zones[{z.name}].area: {z.area!r} is not an area of the home "
                        f"(areas: {', '.join(sorted(areas))})"
                    )
                if z.device is not None and z.device not in devices:
                    raise ConfigError(
                        f"vision.zones[{z.name}].device: {z.device!r} is not a device of the "
                        "home; use a device id from home.yaml"
                    )
        return cls([Zone(z.name, np.array(z.polygon, np.float64), z.area, z.device)
                    for z in configs])  # fmt: skip

    def area_at(self, point: np.ndarray) -> str | None:
        """The area of the first area zone containing ``point`` (frame fractions)."""
        for zone in self.zones:
            if zone.area is not None and contains(zone.polygon, point):
                return zone.area
        return None

    def device_hit(self, origin: np.ndarray, direction: np.ndarray) -> Zone | None:
        """The device zone the ray first enters (or starts in), None when it misses all."""
        best, best_t = None, np.inf
        for zone in self.zones:
            if zone.device is None:
                continue
            t = (
                0.0
                if contains(zone.polygon, origin)
                else ray_polygon(origin, direction, zone.polygon)
            )
            if t < best_t:
                best, best_t = zone, t
        return best


def contains(polygon: np.ndarray, point: np.ndarray) -> bool:
    """Even-odd rule, vectorised over the edges."""
    x, y = float(point[0]), float(point[1])
    a, b = polygon, np.roll(polygon, -1, axis=0)
    crosses = (a[:, 1] > y) != (b[:, 1] > y)
    with np.errstate(divide="ignore", invalid="ignore"):
        at = a[:, 0] + (y - a[:, 1]) * (b[:, 0] - a[:, 0]) / (b[:, 1] - a[:, 1])
    return bool(np.count_nonzero(crosses & (x < at)) % 2)


def ray_polygon(origin: np.ndarray, direction: np.ndarray, polygon: np.ndarray) -> float:
    """Distance along the ray to the nearest polygon edge, inf when it misses."""
    a, b = polygon, np.roll(polygon, -1, axis=0)
    edge = b - a
    cross = direction[0] * edge[:, 1] - direction[1] * edge[:, 0]
    rel = a - origin
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (rel[:, 0] * edge[:, 1] - rel[:, 1] * edge[:, 0]) / cross
        u = (rel[:, 0] * direction[1] - rel[:, 1] * direction[0]) / cross
    hits = t[(np.abs(cross) > 1e-12) & (t > 0) & (u >= 0) & (u <= 1)]
    return float(hits.min()) if hits.size else np.inf
