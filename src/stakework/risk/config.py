"""Overriding frozen presets from a TOML file or `--set key=value` flags.

Every chain preset, route and hazard is a frozen dataclass; an override is a nested mapping whose keys must be
field names. Unknown keys are rejected with a message that names the key and lists the valid ones."""

from __future__ import annotations

import dataclasses
import tomllib
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from stakework.risk.errors import ConfigError
from stakework.spec.errors import StakeworkError

T = TypeVar("T")

CONFIG_SECTIONS = ("chain", "routes", "price", "run")
"""Top-level tables a `--config` TOML file may hold."""


def _coerce(value: Any, target: Any, where: str) -> Any:
    """Convert `value` to the annotated type `target` (int, float, str, bool) or raise ConfigError."""
    if target is float:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ConfigError(f"{where}: expected a number, got {value!r}")
        try:
            return float(value)
        except ValueError:
            raise ConfigError(f"{where}: expected a number, got {value!r}") from None
    if target is int:
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(float(value))
            except ValueError:
                raise ConfigError(f"{where}: expected an integer, got {value!r}") from None
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: expected an integer, got {value!r}")
        return value
    if target is bool:
        if isinstance(value, str):
            if value.lower() in ("1", "true", "yes", "on"):
                return True
            if value.lower() in ("0", "false", "no", "off"):
                return False
            raise ConfigError(f"{where}: expected true or false, got {value!r}")
        return bool(value)
    if target is str:
        return str(value)
    return value


def apply_overrides(obj: T, changes: Mapping[str, Any], where: str) -> T:
    """A copy of the frozen dataclass `obj` with `changes` applied; nested dataclasses and tuples of named
    dataclasses (hazards) take nested mappings. Raises ConfigError naming an unknown key."""
    if not dataclasses.is_dataclass(obj) or isinstance(obj, type):
        raise ConfigError(f"{where}: cannot override a {type(obj).__name__}")
    hints = typing.get_type_hints(type(obj))
    names = [f.name for f in dataclasses.fields(obj)]
    new: dict[str, Any] = {}
    for key, value in changes.items():
        path = f"{where}.{key}"
        if key not in names:
            raise ConfigError(f"unknown key {path!r}; valid keys: {', '.join(names)}")
        current = getattr(obj, key)
        if dataclasses.is_dataclass(current):
            if not isinstance(value, Mapping):
                raise ConfigError(f"{path}: expected a table of fields")
            new[key] = apply_overrides(current, value, path)
        elif isinstance(current, tuple) and current and all(hasattr(h, "name") for h in current):
            if not isinstance(value, Mapping):
                raise ConfigError(f"{path}: expected a table keyed by name")
            by_name = {h.name: h for h in current}
            for sub in value:
                if sub not in by_name:
                    raise ConfigError(f"unknown key {path}.{sub!r}; valid keys: {', '.join(by_name)}")
            new[key] = tuple(
                apply_overrides(h, value[h.name], f"{path}.{h.name}") if h.name in value else h for h in current
            )
        else:
            new[key] = _coerce(value, hints.get(key), path)
    try:
        return dataclasses.replace(obj, **new)
    except StakeworkError:
        raise
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{where}: {exc}") from None


def parse_assignments(items: Iterable[str]) -> dict[str, Any]:
    """Turn `--set a.b.c=v` strings into a nested mapping {'a': {'b': {'c': 'v'}}}."""
    tree: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ConfigError(f"--set expects key=value, got {item!r}")
        parts = key.split(".")
        node = tree
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"--set {key}: conflicts with an earlier value")
        node[parts[-1]] = value.strip()
    for section in tree:
        if section not in CONFIG_SECTIONS:
            raise ConfigError(f"unknown key {section!r}; valid top-level keys: {', '.join(CONFIG_SECTIONS)}")
    return tree


def merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """Deep-merge `extra` into a copy of `base` (later wins)."""
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge(dict(out[key]), value)
        else:
            out[key] = value
    return out


def load_config(path: str | Path) -> dict[str, Any]:
    """Read a `--config` TOML file: tables [chain], [routes.<name>], [price], [run]; anything else is an error."""
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file {str(p)!r} not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {str(p)!r}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {str(p)!r} is not valid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"config file {str(p)!r}: TOML nested too deep to read") from None
    for key, value in data.items():
        if key not in CONFIG_SECTIONS:
            raise ConfigError(f"unknown key {key!r} in {str(p)!r}; valid top-level keys: {', '.join(CONFIG_SECTIONS)}")
        if not isinstance(value, dict):
            raise ConfigError(f"{key!r} in {str(p)!r} must be a table")
    return data
