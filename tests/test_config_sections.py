"""The configuration in sections: each reader's section, the flat keys and the sectioned
file form meaning the same, and a clear error for a key in no table or the wrong one."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from callauth.ivr.config import KEYS, Address, Ami, Config, ConfigError, Telephony, load
from callauth.ivr.ending import CallMode

FLAT = """
db = "calls.db"
challenge_ttl = 60
call_mode = "announce"
cookie_secure = "true"
ami_enabled = true
ami = "10.0.0.5:5038"
ami_user = "ivr"
ami_secret = "s3cret-for-ami"
call_centre_phone = "0120-999-999"
"""

SECTIONED = """
db = "calls.db"

[telephony]
challenge_ttl = 60
call_mode = "announce"

[web]
cookie_secure = "true"

[ami]
enabled = true
address = "10.0.0.5:5038"
user = "ivr"
secret = "s3cret-for-ami"

[site]
call_centre_phone = "0120-999-999"
"""


def test_flat_and_sectioned_files_give_the_same_config() -> None:
    flat, sectioned = load(FLAT), load(SECTIONED)
    assert flat == sectioned
    assert flat.telephony.challenge_ttl == 60 and flat.telephony.call_mode is CallMode.ANNOUNCE
    assert flat.web.cookie_secure == "true"
    assert flat.ami == Ami(True, Address("10.0.0.5", 5038), "ivr", "s3cret-for-ami")
    assert flat.site.call_centre_phone == "0120-999-999"


def test_a_table_may_sit_beside_flat_keys_and_the_environment_still_wins() -> None:
    config = load("[telephony]\nchallenge_ttl = 60\n", {"CALLAUTH_CHALLENGE_TTL": "90"})
    assert config.telephony.challenge_ttl == 90
    inline = load('ami = { user = "ivr" }\nami_retry_max = 5.0\n')
    assert (inline.ami.user, inline.ami.retry_max) == ("ivr", 5.0)


@pytest.mark.parametrize(
    "file_text, message",
    [
        ("[web]\nchallenge_ttl = 60", r"\[web\] challenge_ttl: belongs in \[telephony\]"),
        ('[telephony]\nami_user = "x"', r"\[telephony\] ami_user: belongs in \[ami\] \(as user\)"),
        ('[ami]\nami_user = "x"', r"\[ami\] ami_user: in \[ami\] it is user"),
        ('[site]\ndb = "x.db"', r"\[site\] db: belongs at the top level"),
        ("[web]\ncookies = true", r"\[web\] cookies: unknown setting"),
        ("[mail]\nsmtp_user = 'x'", "unknown setting.s. mail"),
        ("challenge_ttl = 5\n[telephony]\nchallenge_ttl = 6", "challenge_ttl is set twice"),
        ('[web]\ncookie_secure = "sometimes"', "cookie_secure: expected auto, true or false"),
        ("[telephony]\nchallenge_ttl = 0", "challenge_ttl: must be a positive number"),
        ('[ami]\naddress = "nowhere"', "ami: expected HOST:PORT"),
        ("[ami]\nenabled = true", "ami_secret: needed when ami_enabled is true"),
    ],
)
def test_a_misplaced_or_bad_key_is_named(file_text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load(file_text)


def test_every_key_names_one_field_of_one_section() -> None:
    config = Config()
    for key, where in KEYS.items():
        holder = config if where.section is None else getattr(config, where.section)
        assert getattr(holder, where.name) == where.default, key
    assert KEYS["ami"].name == "address" and KEYS["ami_user"].name == "user"
    assert KEYS["challenge_ttl"].section == "telephony" and KEYS["http"].section == "web"


def test_from_keys_takes_the_public_keys_and_refuses_others() -> None:
    config = Config.from_keys(challenge_ttl="45", ami_user="ivr", http="0.0.0.0:80")
    assert config.telephony == Telephony(challenge_ttl=45)
    assert (config.ami.user, config.web.http) == ("ivr", Address("0.0.0.0", 80))
    with pytest.raises(ConfigError, match="unknown setting.s. user"):
        Config.from_keys(user="ivr")


def test_the_readmes_sectioned_example_loads() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```toml\n(.*?)```", readme, re.S)
    sectioned = [b for b in blocks if "[telephony]" in b]
    assert len(sectioned) == 1
    config = load(sectioned[0], {"CALLAUTH_AMI_SECRET": "from-the-environment"})
    assert config.ami.enabled and config.ami.user == "callauth"
    assert config.telephony.call_mode is CallMode.ANNOUNCE


def test_the_command_reads_a_sectioned_file_and_names_a_misplaced_key(tmp_path: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "callauth", *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=tmp_path)

    mobile_only = tmp_path / "mobile.toml"
    mobile_only.write_text('[telephony]\nallowed_kinds = ["mobile"]\n', encoding="utf-8")
    assert run("check-number", "03-1234-5678").returncode == 0
    assert run("check-number", "03-1234-5678", "--config", str(mobile_only)).returncode == 1
    misplaced = tmp_path / "misplaced.toml"
    misplaced.write_text("[web]\nchallenge_ttl = 60\n", encoding="utf-8")
    done = run("serve", "--config", str(misplaced))
    assert done.returncode == 2
    assert done.stderr == ("callauth: config file: [web] challenge_ttl: belongs in [telephony]\n")
    assert set(tmp_path.iterdir()) == {mobile_only, misplaced}  # no database was created
