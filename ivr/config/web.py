"""The web sections: the site's listeners, cookies, sessions, CORS and login throttles
(``Web``), and what the insurer decides (``Site``): the enforcement date, its call centre and
underwriters, its mail, its public address."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from callauth.ivr.config.values import Address, ConfigError, origin, require_positive, secure_word
from callauth.ivr.jst import JST


@dataclass(frozen=True)
class Web:
    http: Address = Address("127.0.0.1", 8080)
    #: The admin listener: /metrics and the detailed health. Loopback: never public.
    admin: Address = Address("127.0.0.1", 8081)
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

    def __post_init__(self) -> None:
        require_positive(self, ("login_limit", "login_window", "login_id_lock",
                                "password_workers", "api_rate_limit",
                                "session_max_age"))  # fmt: skip
        if self.password_queue < 0:
            raise ConfigError("password_queue: must be 0 or more")
        if self.secret_key and len(self.secret_key) < 32:
            raise ConfigError("secret_key: use at least 32 random characters")
        object.__setattr__(self, "cookie_secure", secure_word(self.cookie_secure))
        origins = tuple(origin(o) for o in self.api_allowed_origins)
        object.__setattr__(self, "api_allowed_origins", origins)


@dataclass(frozen=True)
class Underwriter:
    name: str
    share: int  # percent
    lead: bool  # 幹事保険会社


@dataclass(frozen=True)
class Site:
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
