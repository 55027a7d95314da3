from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from callauth.ivr.config import Address, Config, ConfigError, load, load_file


def test_defaults_match_the_public_interface() -> None:
    config = load()
    assert config.db == "callauth.db"
    assert str(config.web.http) == "127.0.0.1:8080"
    assert str(config.telephony.agi) == "127.0.0.1:4573"
    assert config.telephony.challenge_ttl == 120
    assert config.telephony.call_mode == "reject"


def test_flags_win_over_environment_over_file() -> None:
    config = load(
        file_text='db = "file.db"\nchallenge_ttl = 30\nhttp = "0.0.0.0:9000"',
        environ={"CALLAUTH_DB": "env.db", "CALLAUTH_CHALLENGE_TTL": "60", "HOME": "/root"},
        flags={"db": "flag.db", "http": None},
    )
    assert (config.db, config.telephony.challenge_ttl, config.web.http) == (
        "flag.db",
        60,
        Address("0.0.0.0", 9000),
    )


def test_lists_from_environment_are_comma_separated() -> None:
    config = load(environ={"CALLAUTH_AUTH_NUMBERS": "0120111222, 0312345678"})
    assert config.telephony.auth_numbers_e164 == ("+81120111222", "+81312345678")


@pytest.mark.parametrize(
    "file_text, environ, message",
    [
        ('call_mode = "loud"', {}, "call_mode"),
        ("no_such_setting = 1", {}, "no_such_setting"),
        ("challenge_ttl = [", {}, "config file"),
        ("", {"CALLAUTH_HTTP": "8080"}, "http"),
        ("", {"CALLAUTH_CHALLENGE_TTL": "soon"}, "challenge_ttl"),
        ("", {"CALLAUTH_CHALLENGE_TTL": "0"}, "challenge_ttl"),
        ("", {"CALLAUTH_DEMO": "maybe"}, "demo"),
        ('auth_numbers = ["12"]', {}, "auth_numbers"),
        ("auth_numbers = []", {}, "auth_numbers"),
    ],
)
def test_bad_settings_are_named_in_the_error(
    file_text: str, environ: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        load(file_text=file_text, environ=environ)


def test_config_is_frozen() -> None:
    with pytest.raises(AttributeError):
        Config().db = "other.db"  # type: ignore[misc]


def test_enforcement_date_is_a_japanese_day() -> None:
    config = Config.from_keys(enforcement_date="2022-12-01")
    midnight_jst = 1669820400  # 2022-12-01 00:00 JST
    assert not config.site.phone_required(midnight_jst - 1)
    assert config.site.phone_required(midnight_jst)
    assert Config().site.phone_required(1_800_000_000)  # the default keeps it enforced


def test_underwriters_lead_first_with_shares() -> None:
    config = load(environ={"CALLAUTH_UNDERWRITERS": "甲保険:60,乙保険:40"})
    assert [(u.name, u.share, u.lead) for u in config.site.underwriting] == [
        ("甲保険", 60, True),
        ("乙保険", 40, False),
    ]
    assert [u.share for u in Config().site.underwriting] == [50, 50]


@pytest.mark.parametrize(
    "settings",
    [
        {"enforcement_date": "12/01/2022"},
        {"underwriters": ("甲保険:60",)},
        {"underwriters": ("甲保険",)},
        {"underwriters": ()},
    ],
)
def test_bad_enforcement_or_underwriting_settings_are_refused(settings: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        Config.from_keys(**settings)


def test_a_missing_config_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file"):
        load_file(str(tmp_path / "absent.toml"), {})


def test_config_file_then_environment_then_flags(tmp_path: Path) -> None:
    path = tmp_path / "callauth.toml"
    path.write_text('db = "file.db"\ncall_mode = "announce"\n', encoding="utf-8")
    config = load_file(str(path), {"CALLAUTH_DB": "env.db"}, {"db": None})
    assert (config.db, config.telephony.call_mode) == ("env.db", "announce")
