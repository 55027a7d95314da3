"""`callauth holders import` / `export`: the core system's CSV in, all or nothing."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from callauth.db.store import Store
from callauth.ivr import holder_csv
from callauth.ivr.holder_layout import Layout

pytestmark = pytest.mark.backends  # the store on SQLite and on PostgreSQL

HEADER = ("ログインID,氏名,フリガナ,生年月日,メールアドレス,電話番号,証券番号,保険種類,保険始期,"
          "保険終期,被保険者氏名,被保険者電話番号,被保険者同一,オンライン変更可")  # fmt: skip
ROWS = [
    "tanaka,田中 一郎,タナカ イチロウ,1970/01/02,t@example.jp,090-1111-2222,P-1,家財保険,"
    "2025/04/01,2027-03-31,田中 一郎,,1,1",
    "tanaka,田中 一郎,タナカ イチロウ,1970/01/02,t@example.jp,090-1111-2222,P-2,個人賠償責任保険,"
    "2025/04/01,2026-03-31,田中 花子,,0,0",
    "ito,伊藤 二郎,イトウ ジロウ,1985-05-05,,050-1234-5678,P-3,家財保険,2025-01-01,2026-01-01,"
    "伊藤 二郎,,1,1",
]


def csv_text(*rows: str, header: str = HEADER) -> str:
    return "\r\n".join([header, *rows]) + "\r\n"


async def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "callauth", "holders", *args]
    return await asyncio.to_thread(
        subprocess.run, command, capture_output=True, text=True, timeout=120, cwd=cwd
    )


async def test_a_shift_jis_file_imports_holders_contracts_and_letters(
    store: Store, db_url: str, tmp_path: Path
) -> None:
    (tmp_path / "sjis.csv").write_bytes(csv_text(*ROWS).encode("cp932"))
    done = await cli("import", "sjis.csv", "--db", db_url, "--letters", "letters.csv",
                     cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "契約者 新規2件" in done.stdout and "契約 新規3件" in done.stdout
    tanaka = await store.holder_by_login("tanaka")
    assert tanaka is not None and tanaka.name == "田中 一郎" and tanaka.kana == "タナカ イチロウ"
    assert (tanaka.birth_date, tanaka.phone_e164) == ("1970-01-02", "+819011112222")
    first, second = await store.contracts_of(tanaka.id)
    assert (first.policy_number, first.start_date, first.insured_same_as_holder) == (
        "P-1", "2025-04-01", True)  # fmt: skip
    assert first.insured_phone_e164 == "+819011112222"  # kept on the insured's record too
    assert not second.changeable_online and second.insured_name == "田中 花子"
    # The 050 number is imported (the core system holds it) and named as one to contact.
    assert "4行目 「電話番号」: 050から始まるIP電話" in done.stderr
    letters = list(csv.reader(io.StringIO((tmp_path / "letters.csv").read_text("utf-8-sig"))))
    assert letters[0] == ["ログインID", "氏名", "初期パスワード"]
    passwords = {row[0]: row[2] for row in letters[1:]}
    assert set(passwords) == {"tanaka", "ito"}
    assert PasswordHasher().verify(tanaka.password_hash, passwords["tanaka"])
    assert os.stat(tmp_path / "letters.csv").st_mode & 0o777 == 0o600
    assert not any(pw in done.stdout + done.stderr for pw in passwords.values())


async def test_a_file_with_bad_rows_imports_nothing_and_names_every_one(
    store: Store, db_url: str, tmp_path: Path
) -> None:
    bad = [
        ROWS[0],
        "bad id!,佐藤,,1980-02-30,not-mail,090-1234-567,P-9,家財保険,2025-01-01,2024-01-01,佐藤,,2,1",
        "kato,加藤,,,,abc,P-1,家財保険,2025-01-01,2026-01-01,加藤,,1,1",
    ]
    (tmp_path / "bad.csv").write_text(csv_text(*bad), encoding="utf-8")
    done = await cli("import", "bad.csv", "--db", db_url, "--letters", "l.csv", cwd=tmp_path)
    assert done.returncode == 1
    for expected in ("3行目 「ログインID」", "3行目 「生年月日」", "3行目 「メールアドレス」",
                     "3行目 「電話番号」: 電話番号として正しくありません", "3行目 「保険終期」",
                     "3行目 「被保険者同一」", "4行目 「電話番号」: 電話番号は数字で",
                     "4行目 「証券番号」: 2行目と同じ証券番号です"):  # fmt: skip
        assert expected in done.stderr, expected
    assert "取り込みませんでした: 8件のエラー（3行中）" in done.stderr
    assert await store.count_holders() == 0 and not (tmp_path / "l.csv").exists()


async def test_a_reimport_updates_in_place_and_says_what_changed(
    store: Store, db_url: str, tmp_path: Path
) -> None:
    (tmp_path / "a.csv").write_text(csv_text(*ROWS), encoding="utf-8-sig")
    assert (await cli("import", "a.csv", "--db", db_url, "--letters", "l.csv",
                      cwd=tmp_path)).returncode == 0  # fmt: skip
    before = await store.holder_by_login("tanaka")
    assert before is not None
    moved = [row.replace("090-1111-2222", "080-3333-4444").replace("t@example", "new@example")
             for row in ROWS[:2]]  # fmt: skip
    changed = [moved[0], moved[1].replace("田中 花子", "田中 春子"), ROWS[2]]
    (tmp_path / "b.csv").write_text(csv_text(*changed), encoding="utf-8")
    done = await cli("import", "b.csv", "--db", db_url, cwd=tmp_path)  # no new holder: no letters
    assert done.returncode == 0, done.stderr
    assert "契約者 新規0件・更新1件・変更なし1件" in done.stdout
    assert "更新 tanaka: メールアドレス、電話番号" in done.stdout
    assert "更新 証券番号 P-1: 被保険者電話番号" in done.stdout
    assert "更新 証券番号 P-2: 被保険者氏名" in done.stdout
    after = await store.holder_by_login("tanaka")
    assert after is not None and after.id == before.id
    assert after.password_hash == before.password_hash  # an existing holder keeps its password
    assert (after.phone_e164, after.email) == ("+818033334444", "new@example.jp")
    assert await store.count_holders() == 2
    entries = [
        e.detail for e in await store.audit_entries(after.id) if e.event == "holder_imported"
    ]
    assert entries[0] == "updated by command line: email, phone_e164"


async def test_a_dry_run_reports_the_same_and_writes_nothing(
    store: Store, db_url: str, tmp_path: Path
) -> None:
    (tmp_path / "a.csv").write_text(csv_text(*ROWS), encoding="utf-8")
    done = await cli("import", "a.csv", "--db", db_url, "--dry-run", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("確認のみ（書き込んでいません）: 契約者 新規2件")
    assert await store.count_holders() == 0


async def test_new_holders_without_a_letters_file_are_refused(
    store: Store, db_url: str, tmp_path: Path
) -> None:
    (tmp_path / "a.csv").write_text(csv_text(*ROWS), encoding="utf-8")
    done = await cli("import", "a.csv", "--db", db_url, cwd=tmp_path)
    assert done.returncode == 2 and "give --letters FILE.csv" in done.stderr
    assert await store.count_holders() == 0


async def test_export_writes_the_format_import_reads_back_unchanged(
    store: Store, db_url: str, tmp_path: Path
) -> None:
    (tmp_path / "a.csv").write_text(csv_text(*ROWS), encoding="utf-8")
    await cli("import", "a.csv", "--db", db_url, "--letters", "l.csv", cwd=tmp_path)
    done = await cli("export", "--db", db_url, "-o", "out.csv", "--encoding", "cp932",
                     cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    exported = (tmp_path / "out.csv").read_bytes().decode("cp932")
    assert exported.splitlines()[0] == HEADER
    assert "tanaka,田中 一郎,タナカ イチロウ,1970-01-02,t@example.jp,090-1111-2222,P-1" in exported
    again = await cli("import", "out.csv", "--db", db_url, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "更新0件・変更なし2件、契約 新規0件・更新0件・変更なし3件" in again.stdout


def test_english_aliases_in_any_order_and_a_mapping_file_are_read() -> None:
    english = "phone,login_id,name,policy_number,product,start,end,insured_name"
    parsed = holder_csv.parse(
        csv_text("03-1234-5678,sato,佐藤,P-7,家財保険,2025/1/5,2026/1/4,佐藤", header=english),
        Layout.default(),
    )
    assert parsed.errors == []
    (holder,) = parsed.holders
    assert (holder.login_id, holder.phone_e164) == ("sato", "+81312345678")
    assert holder.contracts[0].start_date == "2025-01-05"
    layout = Layout.from_toml(
        '[columns]\n"顧客番号" = "login_id"\n"契約者名" = "name"\n'
        '[options]\nignore = ["支店"]\ntrue = ["有"]\nfalse = ["無"]\n'
    )
    other = "顧客番号,支店,契約者名,証券番号,保険種類,保険始期,保険終期,被保険者氏名,被保険者同一"
    parsed = holder_csv.parse(csv_text("k1,東京,木村,P-8,家財,2025-01-01,2026-01-01,木村,有",
                                       header=other), layout)  # fmt: skip
    assert parsed.errors == [] and parsed.holders[0].contracts[0].insured_same_as_holder


def test_a_header_with_unknown_or_missing_columns_is_refused_on_line_1() -> None:
    parsed = holder_csv.parse(csv_text("x,y", header="ログインID,会員区分"), Layout.default())
    reasons = [str(p) for p in parsed.errors]
    assert any("1行目: 列「会員区分」は不明な列です" in r for r in reasons)
    assert any("必須の列がありません: 氏名" in r for r in reasons)


def test_rows_of_one_holder_that_disagree_are_errors() -> None:
    rows = [ROWS[0], ROWS[1].replace("タナカ イチロウ", "タナカ イチロー")]
    parsed = holder_csv.parse(csv_text(*rows), Layout.default())
    assert [str(p) for p in parsed.errors] == [
        "3行目 「フリガナ」: 同じログインIDの2行目と異なります。"
    ]
