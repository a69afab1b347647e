"""Synthetic homes: many different sets of names, so the model learns the shape of a
command rather than one home's device names.

Names are drawn from vocabularies per domain; each home is a valid ``Home`` (the same model
users write in home.yaml), so everything downstream treats it like a real one.
"""

from __future__ import annotations

import random

from edge_assistant.home.model import Area, Device, Floor, Home, Mqtt

AREAS = [
    "kitchen", "living room", "dining room", "bedroom", "master bedroom", "guest room",
    "kids room", "nursery", "office", "study", "bathroom", "toilet", "hallway", "landing",
    "garage", "basement", "attic", "laundry room", "utility room", "garden", "patio",
    "porch", "balcony", "conservatory", "playroom", "gym", "library", "den", "pantry",
    "workshop", "loft", "sun room", "family room", "lounge", "closet", "stairs", "driveway",
    "back yard", "front yard", "games room", "cinema room", "music room", "shed",
]  # fmt: skip
FLOORS = [("ground floor", ["downstairs"]), ("first floor", ["upstairs"]),
          ("second floor", ["top floor"]), ("basement level", ["lower level"])]  # fmt: skip

# domain -> (nouns, capabilities, device_class choices)
KINDS: dict[str, tuple[list[str], tuple[str, ...], list[str | None]]] = {
    "light": (
        [
            "light",
            "lamp",
            "ceiling light",
            "spotlights",
            "pendant",
            "chandelier",
            "strip",
            "led strip",
            "floor lamp",
            "desk lamp",
            "night light",
            "wall light",
            "sconce",
            "downlights",
            "fairy lights",
            "bulb",
            "lantern",
        ],
        ("brightness", "color"),
        [None],
    ),
    "switch": (
        [
            "coffee machine",
            "kettle",
            "socket",
            "plug",
            "heater switch",
            "fountain",
            "dehumidifier",
            "fireplace",
            "christmas tree",
            "towel rail",
            "water heater",
            "toaster",
            "aquarium pump",
            "monitor",
            "printer",
        ],
        (),
        [None],
    ),
    "fan": (
        ["fan", "ceiling fan", "tower fan", "extractor fan", "air purifier"],
        ("position",),
        [None],
    ),
    "cover": (
        [
            "blinds",
            "blind",
            "curtains",
            "shades",
            "shutters",
            "garage door",
            "awning",
            "roller shutter",
            "skylight",
            "gate",
        ],
        ("position",),
        ["blind", "curtain", "shade", "shutter", "garage", "awning", "window", "gate"],
    ),
    "lock": (
        ["door", "front door", "back door", "lock", "side gate lock", "patio door"],
        (),
        [None],
    ),
    "climate": (
        ["thermostat", "heating", "air conditioner", "radiator", "heat pump", "ac"],
        ("temperature",),
        [None],
    ),
    "media_player": (
        [
            "tv",
            "speaker",
            "television",
            "soundbar",
            "radio",
            "stereo",
            "sonos",
            "chromecast",
            "record player",
        ],
        ("volume",),
        [None],
    ),
    "vacuum": (["vacuum", "robot vacuum", "roomba", "hoover", "mop"], (), [None]),
    "sensor": (["temperature", "humidity", "thermometer", "air quality"], (), ["temperature"]),
    "alarm_control_panel": (
        ["alarm", "alarm system", "security system", "burglar alarm"],
        (),
        [None],
    ),
}
MODIFIERS = [
    "big",
    "small",
    "main",
    "corner",
    "reading",
    "left",
    "right",
    "old",
    "new",
    "tall",
    "round",
    "hanging",
    "wall",
    "accent",
    "mood",
    "back",
    "front",
    "upper",
]
COVER_CLASS = {"blind": "blind", "blinds": "blind", "curtains": "curtain", "shades": "shade",
               "shutters": "shutter", "roller shutter": "shutter", "garage door": "garage",
               "awning": "awning", "skylight": "window", "gate": "gate"}  # fmt: skip


def synthetic_home(rng: random.Random, index: int) -> Home:
    """A random valid home with 4-12 areas and 6-30 devices."""
    areas = _areas(rng)
    devices: list[Device] = []
    names: set[str] = set()
    for _ in range(rng.randint(6, 30)):
        device = _device(rng, areas, len(devices))
        if device.name.casefold() not in names:
            names.add(device.name.casefold())
            devices.append(device)
    floors = [
        Floor(id=f"f{i}", name=n.title(), aliases=tuple(a)) for i, (n, a) in enumerate(FLOORS[:2])
    ]
    return Home(
        name=f"synthetic {index}", floors=tuple(floors), areas=tuple(areas), devices=tuple(devices)
    )


def _areas(rng: random.Random) -> list[Area]:
    chosen = rng.sample(AREAS, rng.randint(4, 12))
    return [
        Area(id=f"a{i}", name=name.title(), floor=rng.choice(["f0", "f1"]))
        for i, name in enumerate(chosen)
    ]


def _device(rng: random.Random, areas: list[Area], index: int) -> Device:
    domain = rng.choices(list(KINDS), weights=[10, 4, 2, 3, 1, 2, 3, 1, 1, 1])[0]
    nouns, capabilities, classes = KINDS[domain]
    noun = rng.choice(nouns)
    area = rng.choice(areas)
    style = rng.random()
    if style < 0.45:
        name = f"{area.name} {noun}"
    elif style < 0.7:
        name = f"{rng.choice(MODIFIERS)} {noun}"
    elif style < 0.85:
        name = noun
    else:
        name = f"{rng.choice(['alex', 'sam', 'mia', 'leo', 'emma', 'noah'])}'s {noun}"
    device_class = COVER_CLASS.get(noun, rng.choice(classes)) if domain == "cover" else classes[0]
    alias = [f"the {noun} in the {area.name.lower()}"] if rng.random() < 0.2 else []
    return Device(
        id=f"d{index}",
        name=name.title() if rng.random() < 0.7 else name,
        aliases=tuple(alias),
        domain=domain,  # type: ignore[arg-type]
        area=area.id,
        device_class=device_class,
        capabilities=tuple(c for c in capabilities if rng.random() < 0.8),  # type: ignore[arg-type]
        mqtt=Mqtt(command_topic=f"home/d{index}/set"),
    )
