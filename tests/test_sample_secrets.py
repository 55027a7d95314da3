"""`callauth serve` refuses an AMI secret left at the value the shipped files carry."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from callauth.ivr.config import Config
from callauth.sample_secrets import SAMPLE_AMI_SECRETS, refusal
from tests.asterisk_conf import read_sections, sections_named


def shipped_ami_secret() -> str:
    user = sections_named(read_sections("manager.conf"), Config().ami.user)[0]
    return user.get("secret") or ""


def serve(tmp_path: Path, config_text: str) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "callauth.toml"
    config.write_text(config_text, encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "callauth", "serve", "--config", str(config),
         "--db", str(tmp_path / "callauth.db"), "--http", "127.0.0.1:0", "--agi", "127.0.0.1:0"],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )  # fmt: skip


@pytest.mark.parametrize("secret", sorted(SAMPLE_AMI_SECRETS | {shipped_ami_secret()}))
def test_serve_refuses_the_sample_ami_secret_in_one_line(tmp_path: Path, secret: str) -> None:
    done = serve(tmp_path, f'ami_enabled = true\nami_secret = "{secret}"\n')
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "ami_secret" in lines[0] and "manager.conf" in lines[0]
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "callauth.db").exists()  # refused before touching anything


def test_the_placeholder_shipped_in_manager_conf_is_refused() -> None:
    secret = shipped_ami_secret()
    assert refusal(Config.from_keys(ami_enabled=True, ami_secret=secret)) is not None


def test_a_real_secret_or_ami_off_is_accepted() -> None:
    assert refusal(Config.from_keys(ami_enabled=True, ami_secret="Zq3x-a-long-random-one")) is None
    assert refusal(Config.from_keys(ami_enabled=False, ami_secret="CHANGE-ME")) is None
