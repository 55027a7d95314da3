"""CSRF protection of the anonymous login form without a session row.

A signed double-submit token (OWASP's "signed double-submit cookie"): ``GET /login`` sets a
random nonce in a cookie of its own and puts ``itsdangerous``' timed signature of that nonce
in the form's hidden ``csrf_token`` field. ``POST /login`` is accepted only when the field's
signature is ours, is younger than ``max_age`` and signs the very nonce the cookie carries.

Why no row: anyone can load the login page, so a row per visit let a flood of anonymous
GETs fill the database and slow everything else; rows now appear at the password step.
Why it still holds: a cross-site form cannot read our page for a token, nor set or read
the cookie (``SameSite=Strict``, ``HttpOnly``, path ``/login``), and a token fetched by the
attacker for their own cookie is worthless with the victim's. The signing key is the
configured ``secret_key``, or one generated once per database (db/server_secrets.py), so
several processes on one store accept each other's forms. Tokens and nonces are never logged.
"""

from __future__ import annotations

import hmac
import re
import secrets
from typing import Any

from aiohttp import web
from aiohttp_session import STORAGE_KEY
from itsdangerous import BadData, TimestampSigner, URLSafeTimedSerializer

from callauth.db.clock import Clock

COOKIE_NAME = "callauth_login_csrf"
COOKIE_PATH = "/login"
FIELD = "csrf_token"
_SALT = "callauth.login-form"
_NONCE_SHAPE = re.compile(r"[A-Za-z0-9_-]{22}")  # token_urlsafe(16)


class _ClockSigner(TimestampSigner):
    """itsdangerous' timestamp signer on the app's clock (a fake one in tests)."""

    def __init__(self, *args: Any, clock: Clock, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clock = clock

    def get_timestamp(self) -> int:
        return int(self._clock())


class LoginCsrf:
    def __init__(self, secret: str, *, max_age: int, clock: Clock) -> None:
        self.max_age = max_age
        self._serializer = URLSafeTimedSerializer(
            secret, salt=_SALT, signer=_ClockSigner, signer_kwargs={"clock": clock}
        )

    def token(self, request: web.Request) -> tuple[str, str]:
        """(nonce for the cookie, token for the form); an existing nonce is kept, so two
        tabs of the login page both stay valid."""
        nonce = request.cookies.get(COOKIE_NAME, "")
        if not _NONCE_SHAPE.fullmatch(nonce):
            nonce = secrets.token_urlsafe(16)
        return nonce, str(self._serializer.dumps(nonce))

    def set_cookie(self, request: web.Request, response: web.StreamResponse, nonce: str) -> None:
        storage = request.get(STORAGE_KEY)
        secure = bool(storage.cookie_params.get("secure")) if storage is not None else False
        response.set_cookie(
            COOKIE_NAME,
            nonce,
            max_age=self.max_age,
            path=COOKIE_PATH,
            secure=secure,
            httponly=True,
            samesite="Strict",
        )

    def accepts(self, request: web.Request, given: object) -> bool:
        """Whether the posted ``given`` token signs the nonce of this request's cookie."""
        nonce = request.cookies.get(COOKIE_NAME, "")
        if not isinstance(given, str) or not _NONCE_SHAPE.fullmatch(nonce):
            return False
        try:
            signed = self._serializer.loads(given, max_age=self.max_age)
        except BadData:  # forged, altered, expired or not a token at all
            return False
        return isinstance(signed, str) and hmac.compare_digest(signed.encode(), nonce.encode())
