"""Load YAML into pydantic models with errors that name the file, the key and the fix.

Pydantic already knows what is wrong; this module adds where (file and line, from the YAML
node tree) and what is allowed (the field names of the model at that key path).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from edge_assistant.errors import ConfigError

M = TypeVar("M", bound=BaseModel)


class StrictModel(BaseModel):
    """Base of every config model: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def load_yaml_model(path: Path, model: type[M]) -> M:
    """Read ``path`` and validate it as ``model``; raise ConfigError naming file, key, reason."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of keys at the top level")
    return validate_data(data, model, source=str(path), node=node)


def validate_data(data: Any, model: type[M], source: str, node: yaml.Node | None = None) -> M:
    """Validate ``data`` as ``model``; ``source`` names where it came from in errors."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        lines = [_describe(err, model, node) for err in exc.errors()]
        raise ConfigError(f"{source}: invalid configuration\n" + "\n".join(lines)) from None


def _describe(err: Any, model: type[BaseModel], node: yaml.Node | None) -> str:
    loc = tuple(err["loc"])
    key = ".".join(str(part) for part in loc) or "(top level)"
    where = _line_of(node, loc)
    prefix = f"  line {where}: {key}" if where else f"  {key}"
    if err["type"] == "extra_forbidden":
        allowed = _allowed_keys(model, loc[:-1])
        hint = f" (allowed: {', '.join(allowed)})" if allowed else ""
        return f"{prefix}: unknown key{hint}"
    if err["type"] == "missing":
        return f"{prefix}: required key is missing"
    message = str(err["msg"]).removeprefix("Value error, ")
    value = err.get("input")
    if isinstance(value, dict | list):  # a whole section: the message already says what
        return f"{prefix}: {message}"
    return f"{prefix}: {message} (got {value!r})"


def _allowed_keys(model: type[BaseModel], loc: Sequence[Any]) -> list[str]:
    """Field names of the model found by following ``loc`` through models and containers."""
    current: Any = model
    for part in loc:
        current = _model_in(current)
        if isinstance(part, int) or not _is_model(current):
            current = _element_of(current)  # tuple[X, ...], list[X], dict[str, X]
            if isinstance(part, int):
                continue
        if not _is_model(current):
            return []
        field = current.model_fields.get(str(part))
        if field is None:
            return []
        current = field.annotation
    current = _model_in(current)
    return list(current.model_fields) if _is_model(current) else []


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _model_in(annotation: Any) -> Any:
    """The BaseModel inside ``X | None`` and similar unions, else the annotation itself."""
    for arg in getattr(annotation, "__args__", ()):
        if _is_model(arg):
            return arg
    return annotation


def _element_of(annotation: Any) -> Any:
    args = [a for a in getattr(annotation, "__args__", ()) if a is not Ellipsis]
    return _model_in(args[-1]) if args else annotation


def _line_of(node: yaml.Node | None, loc: Sequence[Any]) -> int | None:
    """1-based line of the deepest YAML node on ``loc`` (the key itself when it exists)."""
    line = None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next((kv for kv in node.value if kv[0].value == str(part)), None)
            if match is None:
                break
            line = match[0].start_mark.line + 1
            node = match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                break
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line
