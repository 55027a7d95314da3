"""The whole configuration: the global settings and one frozen section per reader, and the
one table that names every setting by its public key (the TOML key, ``CALLAUTH_*``, the flag).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from callauth.ivr.config.telephony import Ami, Telephony
from callauth.ivr.config.values import ConfigError, convert
from callauth.ivr.config.web import Site, Web

#: The sections by table name (``[telephony]`` in a file, ``config.telephony`` in code).
SECTIONS: dict[str, type[Any]] = {"telephony": Telephony, "ami": Ami, "web": Web, "site": Site}


@dataclass(frozen=True)
class Config:
    #: A postgresql:// URL may hold a password: never in a repr (db/backend.py ``shown``).
    db: str = field(default="callauth.db", repr=False)
    #: PostgreSQL only: connections (each on a worker thread) this process keeps open.
    db_pool: int = 4
    demo: bool = False
    telephony: Telephony = field(default_factory=Telephony)
    ami: Ami = field(default_factory=Ami)
    web: Web = field(default_factory=Web)
    site: Site = field(default_factory=Site)

    def __post_init__(self) -> None:
        if self.db_pool <= 0:
            raise ConfigError("db_pool: must be a positive number")

    @property
    def public_url(self) -> str:
        """Where holders reach the site, without a trailing slash (for links in mails)."""
        return (self.site.site_url or f"http://{self.web.http}").rstrip("/")

    @classmethod
    def from_keys(cls, **keys: Any) -> Config:
        """The config with these settings, named by their public keys (``challenge_ttl``,
        ``ami_user``) and given as a file, the environment or a flag would; the rest default."""
        unknown = sorted(set(keys) - set(KEYS))
        if unknown:
            raise ConfigError(f"unknown setting(s) {', '.join(unknown)}")
        given: dict[str | None, dict[str, Any]] = {}
        for key, value in keys.items():
            where = KEYS[key]
            given.setdefault(where.section, {})[where.name] = convert(key, value, where.default)
        sections = {name: kind(**given.get(name, {})) for name, kind in SECTIONS.items()}
        return cls(**given.get(None, {}), **sections)


@dataclass(frozen=True)
class Key:
    """Where a public key lives: its section (None: a global) and field, and its default."""

    section: str | None
    name: str
    default: Any


def public_key(section: str, name: str) -> str:
    """A section field's public key: its name, except the AMI's, which are ``ami_`` and
    the name (``ami_user``), the address being plain ``ami``."""
    if section != "ami":
        return name
    return "ami" if name == "address" else f"ami_{name}"


def _keys() -> dict[str, Key]:
    keys = {f.name: Key(None, f.name, f.default) for f in dataclasses.fields(Config)
            if f.name not in SECTIONS}  # fmt: skip
    for section, kind in SECTIONS.items():
        for f in dataclasses.fields(kind):
            keys[public_key(section, f.name)] = Key(section, f.name, f.default)
    return keys


#: Every setting by its public key.
KEYS = _keys()
