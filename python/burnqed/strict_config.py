"""Strict job configs: a JSON object in, a frozen dataclass out (style rule 2, "spec in, config out").

:func:`config_from_dict` is the one place every job's config is checked at the boundary:

- a key the dataclass does not have is an error naming it and the known keys;
- a field without a default that the JSON leaves out is an error naming it;
- ``tuple[...]`` fields get tuples (JSON has only lists), nested dataclass fields (and tuples of
  them) are built by the same rules, recursively, with the path of the key in the message;
- the dataclass's own ``validate()`` runs last, when it has one.
"""
from __future__ import annotations

import dataclasses
import typing
from typing import Any, Mapping, TypeVar

T = TypeVar("T")


class ConfigError(ValueError):
    """A job config that does not fit its dataclass; the message names the config and the key."""


def _convert(value: Any, hint: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        if not isinstance(value, Mapping):
            raise ConfigError(f"{where}: expected an object, got {value!r:.200}")
        return config_from_dict(hint, value, where=where)
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{where}: expected a list, got {value!r:.200}")
        elem = args[0] if args and (len(args) == 2 and args[1] is Ellipsis) else None
        if elem is None and args:
            if len(args) != len(value):
                raise ConfigError(f"{where}: expected {len(args)} items, got {len(value)}")
            return tuple(_convert(v, a, f"{where}[{i}]") for i, (v, a) in enumerate(zip(value, args)))
        return tuple(_convert(v, elem, f"{where}[{i}]") if elem is not None else v for i, v in enumerate(value))
    if origin is typing.Union or str(origin) == "types.UnionType":
        non_none = [a for a in args if a is not type(None)]
        if value is None:
            return None
        if len(non_none) == 1:
            return _convert(value, non_none[0], where)
    return value


def config_from_dict(cls: type[T], raw: Mapping[str, Any], *, where: str | None = None) -> T:
    """``cls(**raw)`` with the checks above; ``where`` names the config in messages (default: the class)."""
    name = where or cls.__name__
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{name}: expected a JSON object, got {type(raw).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}  # type: ignore[arg-type]
    unknown = sorted(set(raw) - set(fields))
    if unknown:
        raise ConfigError(f"{name}: unknown key(s) {unknown} (known: {', '.join(fields)})")
    missing = [n for n, f in fields.items() if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING and n not in raw]  # type: ignore[misc]
    if missing:
        raise ConfigError(f"{name}: missing key(s) {missing}")
    hints = typing.get_type_hints(cls)
    values = {k: _convert(v, hints.get(k, Any), f"{name}.{k}") for k, v in raw.items()}
    try:
        cfg = cls(**values)
    except TypeError as e:
        raise ConfigError(f"{name}: {e}") from e
    validate = getattr(cfg, "validate", None)
    if callable(validate):
        validate()
    return cfg
