"""`callauth check-number NUMBER`: the API's answer for an insurer's own back end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

CALLAUTH = [sys.executable, "-m", "callauth"]


def check(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CALLAUTH, "check-number", *args], capture_output=True, text=True, timeout=60, cwd=cwd
    )


@pytest.mark.parametrize(
    ("number", "code", "first_line"),
    [
        ("090-1234-5678", 0, "ご登録いただける携帯電話番号です。"),
        ("０３ー１２３４ー５６７８", 0, "ご登録いただける固定電話番号です。"),
        ("050-1234-5678", 1, "050から始まるIP電話の番号は本人認証にご利用いただけません。"),
        (
            "0120-111-222",
            1,
            "0120・0800から始まるフリーダイヤルの番号は本人認証にご利用いただけません。",
        ),
        (
            "090-1234",
            1,
            "電話番号の桁数が足りません。市外局番から入力してください（例: 090-1234-5678）。",
        ),
    ],
)
def test_exit_status_and_message(tmp_path: Path, number: str, code: int, first_line: str) -> None:
    done = check(number, cwd=tmp_path)
    assert done.returncode == code, done.stderr
    assert done.stdout.splitlines()[0] == first_line
    assert not (tmp_path / "callauth.db").exists()  # no database is opened or created


def test_the_display_form_follows_a_number(tmp_path: Path) -> None:
    done = check("09012345678", cwd=tmp_path)
    assert done.stdout.splitlines()[1] == "090-1234-5678 +819012345678"


def test_json_is_the_api_answer(tmp_path: Path) -> None:
    done = check("--json", "0570-000-123", cwd=tmp_path)
    assert done.returncode == 1
    assert json.loads(done.stdout) == {
        "registrable": False, "e164": "+81570000123", "kind": "shared_cost",
        "message": "0570から始まるナビダイヤルの番号は本人認証にご利用いただけません。",
        "display": "0570-000-123",
    }  # fmt: skip


def test_the_allowed_kinds_come_from_the_configuration(tmp_path: Path) -> None:
    config = tmp_path / "callauth.toml"
    config.write_text('allowed_kinds = ["fixed_line"]\n', encoding="utf-8")
    done = check("--config", str(config), "090-1234-5678", cwd=tmp_path)
    assert done.returncode == 1
    assert "携帯電話の番号は、現在本人認証にご利用いただけません" in done.stdout


@pytest.mark.parametrize("args", [(), ("",), ("090", "080"), ("--nope", "09012345678")])
def test_usage_errors_exit_2(tmp_path: Path, args: tuple[str, ...]) -> None:
    done = check(*args, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stdout == ""
    assert "check-number" in done.stderr
