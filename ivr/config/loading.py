"""Loading the configuration once at start-up: defaults, then the TOML file, then
``CALLAUTH_*`` environment variables, then command-line flags, later ones winning.

The file takes every key at the top level (``challenge_ttl = 60``), or in its section's
table (``[telephony]`` ``challenge_ttl = 60``; in ``[ami]`` without the ``ami_`` prefix,
the address being ``address``), not both. Nothing else reads ``os.environ``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from typing import Any

from callauth.ivr.config.model import KEYS, SECTIONS, Config, public_key
from callauth.ivr.config.values import ConfigError

ENV_PREFIX = "CALLAUTH_"


def load(
    file_text: str | None = None,
    environ: Mapping[str, str] | None = None,
    flags: Mapping[str, Any] | None = None,
) -> Config:
    """Build the config from a TOML text, an environment and flags (None values ignored)."""
    values: dict[str, Any] = {}
    if file_text:
        try:
            parsed = tomllib.loads(file_text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file: {exc}") from exc
        values.update(file_keys(parsed))
    for key, value in (environ or {}).items():
        if key.startswith(ENV_PREFIX) and key[len(ENV_PREFIX) :].lower() in KEYS:
            values[key[len(ENV_PREFIX) :].lower()] = value
    values.update({k: v for k, v in (flags or {}).items() if v is not None})
    return Config.from_keys(**values)


def load_file(
    path: str | None, environ: Mapping[str, str], flags: Mapping[str, Any] | None = None
) -> Config:
    """:func:`load` with the TOML file at ``path`` (if any): what the commands call."""
    text = None
    if path:
        try:
            with open(path, encoding="utf-8") as file:
                text = file.read()
        except OSError as exc:
            raise ConfigError(f"config file: {exc}") from exc
    return load(text, environ, flags)


def file_keys(parsed: Mapping[str, Any]) -> dict[str, Any]:
    """A parsed file's settings by public key, from the top level and the section tables."""
    found: dict[str, Any] = {}
    unknown = []
    for key, value in parsed.items():
        if key in SECTIONS and isinstance(value, dict):
            pairs = [(_in_table(key, name), item) for name, item in value.items()]
        elif key in KEYS:
            pairs = [(key, value)]
        else:
            unknown.append(key)
            continue
        for public, item in pairs:
            if public in found:
                raise ConfigError(f"config file: {public} is set twice (at the top level and"
                                  f" in [{KEYS[public].section}])")  # fmt: skip
            found[public] = item
    if unknown:
        raise ConfigError(f"config file: unknown setting(s) {', '.join(sorted(unknown))}")
    return found


def _in_table(table: str, name: str) -> str:
    """The public key of ``name`` in ``[table]``, or an error saying where it belongs."""
    if public_key(table, name) in KEYS and KEYS[public_key(table, name)].section == table:
        return public_key(table, name)
    home = KEYS.get(name)
    where = f"config file: [{table}] {name}"
    if home is None:
        raise ConfigError(f"{where}: unknown setting")
    if home.section is None:
        raise ConfigError(f"{where}: belongs at the top level, in no table")
    if home.section == table:
        raise ConfigError(f"{where}: in [{table}] it is {home.name}")
    named = f" (as {home.name})" if home.name != name else ""
    raise ConfigError(f"{where}: belongs in [{home.section}]{named}")
