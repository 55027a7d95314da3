"""A postgresql:// URL's password never shows: not in the configuration's repr (which a
log line or a traceback may print), not in what ``shown`` gives the log and the console,
whether the password is in the URL's user part or in its query string."""

from __future__ import annotations

from callauth.db.backend import shown
from callauth.ivr.config import Config


def test_the_configuration_repr_never_shows_the_database_url() -> None:
    config = Config.from_keys(db="postgresql://callauth:s3cret-pw@db.example:5432/callauth")
    assert "s3cret-pw" not in repr(config) and "s3cret-pw" not in str(config)
    assert config.db.endswith("@db.example:5432/callauth")  # still there for the store


def test_shown_masks_the_password_in_the_user_part_and_in_the_query_string() -> None:
    assert shown("postgresql://callauth:pw1@db/callauth") == "postgresql://callauth:***@db/callauth"
    assert (
        shown("postgresql://db/callauth?user=callauth&password=pw2&sslmode=require")
        == "postgresql://db/callauth?user=callauth&password=***&sslmode=require"
    )
    both = shown("postgres://u:pw3@db/c?password=pw4&sslpassword=pw5")
    assert "pw3" not in both and "pw4" not in both and "pw5" not in both
    assert both.endswith("?password=***&sslpassword=***")
    assert shown("postgresql://db/callauth") == "postgresql://db/callauth"
    assert shown("/var/lib/callauth/callauth.db") == "/var/lib/callauth/callauth.db"
