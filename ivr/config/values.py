"""The shapes a setting's value takes, and turning what a file, the environment or a flag
gave into them, with an error that names the key."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

#: An origin as browsers send it in ``Origin``: scheme, host, optional port, nothing else.
_ORIGIN = re.compile(r"(https?)://([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::([0-9]{1,5}))?")
_DEFAULT_PORTS = {"http": "80", "https": "443"}
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")
E = TypeVar("E", bound=enum.StrEnum)


class ConfigError(ValueError):
    """A setting is missing, malformed or out of range; the message names it."""


@dataclass(frozen=True)
class Address:
    host: str
    port: int

    @classmethod
    def parse(cls, text: str, name: str) -> Address:
        host, sep, port = str(text).rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
            raise ConfigError(f"{name}: expected HOST:PORT, got {text!r}")
        return cls(host.strip("[]"), int(port))

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def convert(name: str, value: Any, default: Any) -> Any:
    """``value`` (a TOML value, or text from the environment or a flag) in the shape of
    the setting's ``default``. Closed sets stay text: their section makes them enums."""
    try:
        if isinstance(default, Address):
            return value if isinstance(value, Address) else Address.parse(value, name)
        if isinstance(default, bool):
            if isinstance(value, str):
                if value.lower() not in _TRUE + _FALSE:
                    raise ValueError(value)
                return value.lower() in _TRUE
            return bool(value)
        if isinstance(default, (tuple, frozenset)):
            items = value.split(",") if isinstance(value, str) else list(value)
            return type(default)(str(i).strip() for i in items if str(i).strip())
        if isinstance(default, (int, float)):
            return type(default)(value)
        return str(value)
    except ConfigError:
        raise
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{name}: cannot use {value!r}") from exc


def member(name: str, closed_set: type[E], value: object) -> E:
    """The word ``value`` as a member of ``closed_set``, or an error listing the words."""
    try:
        return closed_set(str(value))
    except ValueError:
        words = [m.value for m in closed_set]
        expected = ", ".join(words[:-1]) + " or " + words[-1]
        raise ConfigError(f"{name}: expected {expected}, got {value!r}") from None


def require_positive(section: object, names: Iterable[str]) -> None:
    for name in names:
        if getattr(section, name) <= 0:
            raise ConfigError(f"{name}: must be a positive number")


def secure_word(value: str | bool) -> str:
    """``cookie_secure`` as one word: auto, true or false."""
    word = str(value).strip().lower()
    word = "true" if word in _TRUE else "false" if word in _FALSE else word
    if word not in ("auto", "true", "false"):
        raise ConfigError(f"cookie_secure: expected auto, true or false, got {value!r}")
    return word


def origin(text: str) -> str:
    """``text`` as browsers write it in ``Origin``: lower case, no default port."""
    found = _ORIGIN.fullmatch(text.strip().lower())
    if found is None:
        raise ConfigError(
            "api_allowed_origins: expected scheme://host[:port] (no path, no trailing slash,"
            f" no '*'), got {text!r}"
        )
    scheme, host, port = found.groups()
    keep = f":{port}" if port and port != _DEFAULT_PORTS[scheme] else ""
    return f"{scheme}://{host}{keep}"
