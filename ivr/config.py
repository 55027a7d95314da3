"""Configuration: one frozen dataclass, loaded and validated once at start-up.

Sources, later ones winning: defaults, the TOML config file, ``CALLAUTH_*`` environment
variables, command-line flags. Keys are the field names (``challenge_ttl`` in the file,
``CALLAUTH_CHALLENGE_TTL`` in the environment). Nothing else reads ``os.environ``.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from callauth.ivr import phone_policy
from callauth.ivr.ending import CallMode, HangupBy
from callauth.ivr.number_pool import CodeMode

ENV_PREFIX = "CALLAUTH_"
_SECRET_SHAPE = re.compile(r"[A-Za-z0-9._-]{16,128}")
#: An origin as browsers send it in ``Origin``: scheme, host, optional port, nothing else.
_ORIGIN = re.compile(r"(https?)://([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::([0-9]{1,5}))?")
_DEFAULT_PORTS = {"http": "80", "https": "443"}
#: Dates (the enforcement date, change dates) are Japanese calendar days.
JST = datetime.timezone(datetime.timedelta(hours=9), "JST")


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


@dataclass(frozen=True)
class Config:
    db: str = "callauth.db"
    http: Address = Address("127.0.0.1", 8080)
    agi: Address = Address("127.0.0.1", 4573)
    #: The admin listener: /metrics and the detailed health. Loopback: never public.
    admin: Address = Address("127.0.0.1", 8081)
    demo: bool = False
    #: The pool of authentication numbers (DIDs) routed to the FastAGI script, domestic digits.
    auth_numbers: tuple[str, ...] = (
        "0120111222", "0120111333", "0120111444", "0120111555",
        "0120111666", "0120111777", "0120111888", "0120111999",
    )  # fmt: skip
    challenge_ttl: int = 120
    #: A number shown to a phone is not handed to it again without a keypad code for this
    #: long (seconds): a redial from the call history must never complete another login.
    number_cooldown: int = 86400
    #: Live login challenges one holder may keep; a newer login ends the oldest.
    max_live_challenges: int = 2
    #: How often one login may ask for a new number (/verify/reissue) before a new login.
    reissue_limit: int = 3
    #: Keypad codes: fallback (when the number alone cannot name the login), always, never.
    code_mode: CodeMode = CodeMode.FALLBACK
    #: Tries the caller gets to key the code, and seconds Asterisk waits for each digit.
    code_tries: int = 3
    code_timeout: float = 5.0
    #: reject: never answer, hang up with cause 21 (free for the caller); announce: play a prompt.
    call_mode: CallMode = CallMode.REJECT
    #: Who ends an unanswered (reject mode) call: callauth (Hangup 16/21/34 over AGI) or
    #: the dialplan after AGI() returns, e.g. with PJSIPHangup(480) for another SIP answer.
    hangup_by: HangupBy = HangupBy.CALLAUTH
    #: FastAGI peers (the PBX) allowed to verify; others get ``untrusted``.
    allowed_peers: tuple[str, ...] = ("127.0.0.1", "::1")
    #: Dialplan contexts that only the carrier trunk reaches; calls from others never verify.
    trusted_contexts: tuple[str, ...] = ("auth-in",)
    #: At most this many calls from one number in ``call_window`` seconds, then ``throttled``.
    call_limit: int = 10
    call_window: int = 60
    #: Login throttles (db/throttles.py has the whole policy): attempts per (login ID,
    #: client address), and 4x that per address, before a back-off doubling up to
    #: ``login_window`` seconds; consecutive failures per login ID that lock it until
    #: ``callauth holders unlock`` (NIST SP 800-63B: at most 100).
    login_limit: int = 5
    login_window: int = 900
    login_id_lock: int = 100
    #: Password checks run at once (argon2 threads), and how many more may wait; beyond
    #: that a login is answered 503 at once instead of queueing.
    password_workers: int = 2
    password_queue: int = 16
    #: Signs the login form's CSRF token. "" = generated once and kept in the database,
    #: so every process on one store shares it.
    secret_key: str = field(default="", repr=False)
    #: Requests per minute one client address may make to the JSON API (/api/…).
    api_rate_limit: int = 120
    #: Origins (``https://host[:port]``) whose pages may call the JSON API from the browser
    #: (CORS: the insurer's application form). Empty = the API's own origin only.
    api_allowed_origins: tuple[str, ...] = ()
    session_max_age: int = 1800
    #: Secure cookies: "auto" (unless the site is bound to loopback, or behind a proxy the
    #: trusted_proxy_header says served https), "true" or "false". Normalised to one word.
    cookie_secure: str | bool = "auto"
    #: A header the TLS proxy in front sets on every request (e.g. "X-Forwarded-Proto");
    #: "" = none: forwarded headers are then never believed.
    trusted_proxy_header: str = ""
    #: Bounds on what a FastAGI peer may do before it is dropped.
    agi_header_timeout: float = 5.0
    agi_header_max_bytes: int = 16384
    agi_command_timeout: float = 10.0
    #: No FastAGI call may last longer, however the peer trickles lines (the keypad
    #: prompt, 3 tries of 5 s, fits).
    agi_call_deadline: float = 30.0
    #: Open FastAGI connections beyond this are closed at once (and counted).
    agi_max_connections: int = 512
    #: Shared with the dialplan, which passes it as the AGI script's first argument
    #: (``agi_arg_1``); when set, a call without it is ``untrusted``. "" = not used.
    agi_secret: str = field(default="", repr=False)
    allowed_kinds: frozenset[str] = field(default=phone_policy.DEFAULT_ALLOWED_KINDS)
    #: The AMI client (optional: it completes the call log, verification never needs it).
    ami_enabled: bool = False
    ami: Address = Address("127.0.0.1", 5038)
    ami_user: str = "callauth"
    ami_secret: str = field(default="", repr=False)
    #: Reconnect back-off after a lost or refused connection: min doubling up to max seconds.
    ami_retry_min: float = 1.0
    ami_retry_max: float = 60.0
    #: Wait after a refused login: wrong credentials do not fix themselves.
    ami_login_retry: float = 300.0
    #: From this day (JST, ISO date) a login needs the call; before it, a holder without a
    #: usable number may log in with the password alone and is urged to register one.
    enforcement_date: str = "2022-12-01"
    #: Where the pages send people for what cannot be done online (name changes, ...).
    call_centre_name: str = "みらい少額短期保険 お客さまコールセンター"
    call_centre_phone: str = "0120-000-000"
    call_centre_hours: str = "平日 9:00〜17:00（土日祝日・年末年始を除く）"
    #: 引受保険会社 as "name:share%", the 幹事保険会社 (lead) first; shares add up to 100.
    underwriters: tuple[str, ...] = (
        "みらい少額短期保険株式会社:50",
        "そよかぜ少額短期保険株式会社:50",
    )
    #: Mail to holders (login notices, address confirmation codes), sent in the background.
    mail_enabled: bool = True
    #: The SMTP relay; STARTTLS and a login only when configured.
    smtp: Address = Address("127.0.0.1", 25)
    smtp_user: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_starttls: bool = False
    mail_from: str = "みらい少額短期保険 <noreply@example.jp>"
    #: When set, mails are written as .eml files into this folder instead of sent by SMTP.
    mail_dir: str = ""
    #: The site's address as holders reach it, for links in mails ("" = http://{http}).
    site_url: str = ""

    def __post_init__(self) -> None:
        for name, closed_set in _CLOSED_SETS.items():
            # Config(call_mode="announce") and the loaders alike get the enum member.
            object.__setattr__(self, name, _member(name, closed_set, getattr(self, name)))
        if not self.auth_numbers:
            raise ConfigError("auth_numbers: at least one authentication number is needed")
        for number in self.auth_numbers:
            if phone_policy.normalize(number) is None:
                raise ConfigError(f"auth_numbers: {number!r} is not a valid phone number")
        for name in ("challenge_ttl", "number_cooldown", "max_live_challenges", "code_tries",
                     "code_timeout", "call_limit", "call_window", "login_limit", "api_rate_limit",
                     "login_window", "session_max_age", "agi_header_max_bytes",
                     "agi_call_deadline", "agi_max_connections"):  # fmt: skip
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name}: must be a positive number")
        if not 0 < self.ami_retry_min <= self.ami_retry_max or self.ami_login_retry <= 0:
            raise ConfigError("ami_retry_min/ami_retry_max/ami_login_retry: need 0 < min <= max")
        if self.agi_secret and not _SECRET_SHAPE.fullmatch(self.agi_secret):
            raise ConfigError(
                "agi_secret: use 16 to 128 of A-Z a-z 0-9 - _ . (it travels as"
                " an AGI argument, where a comma or space would split it)"
            )
        for name in ("login_id_lock", "password_workers"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name}: must be a positive number")
        if self.password_queue < 0:
            raise ConfigError("password_queue: must be 0 or more")
        if self.secret_key and len(self.secret_key) < 32:
            raise ConfigError("secret_key: use at least 32 random characters")
        object.__setattr__(self, "cookie_secure", _secure_word(self.cookie_secure))
        if self.ami_enabled and not self.ami_secret:
            raise ConfigError("ami_secret: needed when ami_enabled is true")
        try:
            datetime.date.fromisoformat(self.enforcement_date)
        except ValueError as exc:
            raise ConfigError(
                f"enforcement_date: expected YYYY-MM-DD, got {self.enforcement_date!r}"
            ) from exc
        self.underwriting  # validates  # noqa: B018
        if "@" not in self.mail_from or "\n" in self.mail_from or "\r" in self.mail_from:
            raise ConfigError(f"mail_from: expected 'Name <address>', got {self.mail_from!r}")
        if self.site_url and not self.site_url.startswith(("http://", "https://")):
            raise ConfigError(f"site_url: expected http(s)://HOST[:PORT], got {self.site_url!r}")
        origins = tuple(_origin(o) for o in self.api_allowed_origins)
        object.__setattr__(self, "api_allowed_origins", origins)

    @property
    def public_url(self) -> str:
        """Where holders reach the site, without a trailing slash (for links in mails)."""
        return (self.site_url or f"http://{self.http}").rstrip("/")

    @property
    def auth_numbers_e164(self) -> tuple[str, ...]:
        return tuple(phone_policy.normalize(n) or n for n in self.auth_numbers)

    def phone_required(self, now: int) -> bool:
        """Whether a login needs the call on the JST day of epoch second ``now``."""
        today = datetime.datetime.fromtimestamp(now, JST).date()
        return today >= datetime.date.fromisoformat(self.enforcement_date)

    @property
    def underwriting(self) -> tuple[Underwriter, ...]:
        """The underwriting insurers, lead first, with their shares in percent."""
        found = []
        for index, item in enumerate(self.underwriters):
            name, sep, share = item.rpartition(":")
            if not sep or not name.strip() or not share.strip().isdigit():
                raise ConfigError(f"underwriters: expected 'name:share', got {item!r}")
            found.append(Underwriter(name.strip(), int(share), lead=index == 0))
        if not found or sum(u.share for u in found) != 100:
            raise ConfigError("underwriters: the shares must add up to 100")
        return tuple(found)


def _origin(text: str) -> str:
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


def _secure_word(value: str | bool) -> str:
    word = str(value).strip().lower()
    word = {"1": "true", "yes": "true", "on": "true", "0": "false", "no": "false",
            "off": "false"}.get(word, word)  # fmt: skip
    if word not in ("auto", "true", "false"):
        raise ConfigError(f"cookie_secure: expected auto, true or false, got {value!r}")
    return word


@dataclass(frozen=True)
class Underwriter:
    name: str
    share: int  # percent
    lead: bool  # 幹事保険会社


_FIELDS = {f.name: f for f in dataclasses.fields(Config)}
#: Settings that take one word of a closed set.
_CLOSED_SETS: dict[str, type[enum.StrEnum]] = {
    "call_mode": CallMode, "hangup_by": HangupBy, "code_mode": CodeMode,
}  # fmt: skip


def _member(name: str, closed_set: type[enum.StrEnum], value: object) -> enum.StrEnum:
    try:
        return closed_set(str(value))
    except ValueError:
        words = [m.value for m in closed_set]
        expected = ", ".join(words[:-1]) + " or " + words[-1]
        raise ConfigError(f"{name}: expected {expected}, got {value!r}") from None


def _convert(name: str, value: Any) -> Any:
    default = _FIELDS[name].default
    try:
        if isinstance(default, Address):
            return value if isinstance(value, Address) else Address.parse(value, name)
        if isinstance(default, bool):
            if isinstance(value, str):
                if value.lower() not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
                    raise ValueError(value)
                return value.lower() in ("1", "true", "yes", "on")
            return bool(value)
        if isinstance(default, (tuple, frozenset)):
            items = value.split(",") if isinstance(value, str) else list(value)
            return type(default)(str(i).strip() for i in items if str(i).strip())
        if isinstance(default, (int, float)):
            return type(default)(value)
        return str(value)  # closed sets become their enum in Config.__post_init__
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{name}: cannot use {value!r}") from exc


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
        unknown = sorted(set(parsed) - set(_FIELDS))
        if unknown:
            raise ConfigError(f"config file: unknown setting(s) {', '.join(unknown)}")
        values.update(parsed)
    for key, value in (environ or {}).items():
        if key.startswith(ENV_PREFIX) and key[len(ENV_PREFIX) :].lower() in _FIELDS:
            values[key[len(ENV_PREFIX) :].lower()] = value
    values.update({k: v for k, v in (flags or {}).items() if v is not None})
    return Config(**{name: _convert(name, value) for name, value in values.items()})


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
