"""Password hashing with argon2id, run in an executor so the event loop never blocks."""

from __future__ import annotations

import asyncio
import functools
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


@functools.lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash nobody knows the password of, so unknown login IDs cost as much as real ones."""
    return _hasher.hash(secrets.token_urlsafe(24))


def hash_password_sync(password: str) -> str:
    """For command-line tools and seeding outside the event loop."""
    return _hasher.hash(password)


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        matched = _hasher.verify(password_hash or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False
    return matched and password_hash is not None


async def hash_password(password: str) -> str:
    return await asyncio.get_running_loop().run_in_executor(None, _hasher.hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    """True only for a real hash that matches; ``None`` (unknown login ID) costs the same."""
    return await asyncio.get_running_loop().run_in_executor(None, _verify, password_hash, password)


async def warm_up() -> None:
    """Compute the dummy hash at start-up so the first unknown ID is not slower."""
    await asyncio.get_running_loop().run_in_executor(None, _dummy_hash)
