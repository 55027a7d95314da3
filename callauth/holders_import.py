"""`callauth holders import FILE.csv` and `callauth holders export`.

Import reads the whole file (UTF-8 with or without a BOM, or CP932 as the core system
writes Shift_JIS), checks every row, and writes nothing unless every row is good; it then
creates and updates holders and contracts in one transaction and says what changed.

Passwords never travel in the file. A new holder gets an **initial-password letter**: a
random 12-character password written, with the login ID and name, to the CSV named by
``--letters FILE`` (created with mode 0600, never overwritten, never printed), for the
insurer's print shop; an import that would create holders refuses to run without it.
These passwords are random (about 62 bits), so their argon2id hash needs no work factor
of its own; a low-cost one keeps 100,000 new holders within seconds. A holder who exists
keeps the password it has.
"""

from __future__ import annotations

import argparse
import csv
import os
import secrets
import sys
from typing import TextIO

from argon2 import PasswordHasher

from callauth.db.holder_import import (
    ExportRow,
    HolderImport,
    ImportHolder,
    ImportReport,
    export_rows,
)
from callauth.db.store import Store
from callauth.ivr import holder_csv
from callauth.ivr.config import Config
from callauth.ivr.holder_layout import JAPANESE, Layout, LayoutError
from callauth.progress import Progress

ENCODINGS = {"utf-8": "utf-8-sig", "utf8": "utf-8-sig", "cp932": "cp932",
             "shift_jis": "cp932", "sjis": "cp932"}  # fmt: skip
#: Letters people can read out on the phone without confusing them (no 0/O, 1/l/I).
ALPHABET = "abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY23456789"
PASSWORD_LENGTH = 12
_initial_hasher = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
#: Stored fields as the file's columns call them, for the report.
TITLES = {**JAPANESE, "phone_e164": "電話番号", "start_date": "保険始期", "end_date": "保険終期",
          "insured_phone_e164": "被保険者電話番号", "insured_same_as_holder": "被保険者同一",
          "changeable_online": "オンライン変更可", "holder_id": "契約者"}  # fmt: skip
#: How many changed holders a report lists by name before it only counts them.
LIST_AT_MOST = 20


def add_arguments(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    imp = actions.add_parser("import", help="import holders and contracts from a CSV file")
    imp.add_argument("file", metavar="FILE.csv")
    imp.add_argument("--encoding", choices=sorted(ENCODINGS), help="default: UTF-8, else CP932")
    imp.add_argument("--mapping", metavar="FILE.toml", help="the columns of another layout")
    imp.add_argument("--letters", metavar="FILE.csv", help="where new holders' letters go")
    imp.add_argument("--dry-run", action="store_true", help="check and report, write nothing")
    exp = actions.add_parser("export", help="write every holder and contract as CSV")
    exp.add_argument("--output", "-o", metavar="FILE.csv", help="default: standard output")
    exp.add_argument("--encoding", choices=sorted(ENCODINGS), default="utf-8")
    for parser in (imp, exp):
        parser.add_argument("--config", metavar="FILE", help="TOML configuration file")
        parser.add_argument(
            "--db", metavar="PATH", help="SQLite file or postgresql:// URL (default ./callauth.db)"
        )


def decode(data: bytes, encoding: str | None) -> str:
    """The file's text; a byte that is not of the encoding is named by its line."""
    tried = [ENCODINGS[encoding]] if encoding else ["utf-8-sig", "cp932"]
    for name in tried:
        try:
            return data.decode(name)
        except UnicodeDecodeError as exc:
            failure = exc
    line = data[: failure.start].count(b"\n") + 1
    raise ValueError(f"{line}行目: {'/'.join(tried)} として読めない文字があります"
                     " (--encoding で文字コードを指定してください)。")  # fmt: skip


async def run_import(store: Store, config: Config, args: argparse.Namespace) -> int:
    try:
        layout, text = _read(args)
    except (OSError, ValueError) as exc:
        print(f"callauth holders import: {exc}", file=sys.stderr)
        return 2
    parsed = holder_csv.parse(text, layout, config.telephony.allowed_kinds)
    for problem in parsed.errors:
        print(problem, file=sys.stderr)
    if parsed.errors:
        print(f"取り込みませんでした: {len(parsed.errors)}件のエラー（{parsed.rows}行中）。"
              "すべて直してから、もう一度実行してください。", file=sys.stderr)  # fmt: skip
        return 1
    repo = HolderImport(store)
    existing = await repo.existing([h.login_id for h in parsed.holders])
    new = [h for h in parsed.holders if h.login_id not in existing]
    if new and not args.dry_run and not args.letters:
        print(f"callauth holders import: {len(new)} new holder(s) need initial-password letters:"
              " give --letters FILE.csv", file=sys.stderr)  # fmt: skip
        return 2
    if new and args.letters and not args.dry_run and _exists(args.letters):
        print(f"callauth holders import: {args.letters} exists; letters are never overwritten",
              file=sys.stderr)  # fmt: skip
        return 2
    passwords = {} if args.dry_run else _passwords(new)
    hashes = {login_id: pw[1] for login_id, pw in passwords.items()}
    bar = Progress("取り込み", len(parsed.holders), sys.stderr)
    report = await repo.apply(parsed.holders, hashes, dry_run=args.dry_run, progress=bar.update)
    bar.done()
    if report.created and not report.dry_run:
        created = set(report.created)
        _write_letters(args.letters, [h for h in new if h.login_id in created], passwords)
    for warning in parsed.warnings:
        print(f"注意 {warning}", file=sys.stderr)
    print(summary(report, len(parsed.warnings), args.letters))
    return 0


def _read(args: argparse.Namespace) -> tuple[Layout, str]:
    layout = _layout(args.mapping)
    with open(args.file, "rb") as file:
        return layout, decode(file.read(), args.encoding)


def _exists(path: str) -> bool:
    return os.path.exists(path)


def _layout(mapping: str | None) -> Layout:
    if mapping is None:
        return Layout.default()
    try:
        with open(mapping, encoding="utf-8") as file:
            return Layout.from_toml(file.read())
    except LayoutError as exc:
        raise ValueError(str(exc)) from exc


def _passwords(holders: list[ImportHolder]) -> dict[str, tuple[str, str]]:
    """login ID → (initial password, its hash)."""
    out = {}
    bar = Progress("初期パスワード", len(holders), sys.stderr)
    for done, holder in enumerate(holders, 1):
        password = "".join(secrets.choice(ALPHABET) for _ in range(PASSWORD_LENGTH))
        out[holder.login_id] = (password, _initial_hasher.hash(password))
        if done % 1000 == 0:
            bar.update(done)
    bar.done()
    return out


def _write_letters(
    path: str, holders: list[ImportHolder], passwords: dict[str, tuple[str, str]]
) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with open(fd, "w", encoding="utf-8-sig", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["ログインID", "氏名", "初期パスワード"])
        for holder in holders:
            writer.writerow([holder.login_id, holder.name, passwords[holder.login_id][0]])


def summary(report: ImportReport, warnings: int, letters: str | None) -> str:
    head = "確認のみ（書き込んでいません）" if report.dry_run else "取り込みました"
    lines = [
        f"{head}: 契約者 新規{len(report.created)}件・更新{len(report.updated)}件・"
        f"変更なし{report.unchanged}件、契約 新規{report.contracts_created}件・"
        f"更新{len(report.contracts_updated)}件・変更なし{report.contracts_unchanged}件",
    ]
    for login_id, fields in list(report.updated.items())[:LIST_AT_MOST]:
        lines.append(f"  更新 {login_id}: {_titles(fields)}")
    for policy, fields in list(report.contracts_updated.items())[:LIST_AT_MOST]:
        lines.append(f"  更新 証券番号 {policy}: {_titles(fields)}")
    hidden = max(0, len(report.updated) - LIST_AT_MOST) + max(
        0, len(report.contracts_updated) - LIST_AT_MOST
    )
    if hidden:
        lines.append(f"  ほか{hidden}件の更新")
    if warnings:
        lines.append(f"本人認証に利用できない電話番号: {warnings}件（上の「注意」の行）")
    if report.created and not report.dry_run:
        lines.append(f"初期パスワードのご案内: {letters}（{len(report.created)}件）")
    return "\n".join(lines)


def _titles(fields: list[str]) -> str:
    return "、".join(TITLES.get(name, name) for name in fields)


async def run_export(store: Store, args: argparse.Namespace) -> int:
    rows = await export_rows(store)
    _write_export(args.output, ENCODINGS[args.encoding], rows)
    return 0


def _write_export(path: str | None, encoding: str, rows: list[ExportRow]) -> None:
    if path:
        with open(path, "w", encoding=encoding, newline="") as file:
            _export(file, rows)
    else:
        sys.stdout.reconfigure(encoding=encoding.removesuffix("-sig"), newline="")  # type: ignore[union-attr]
        _export(sys.stdout, rows)


def _export(file: TextIO, rows: list[ExportRow]) -> None:
    writer = csv.writer(file, lineterminator="\r\n")
    writer.writerow(holder_csv.header_row())
    for row in rows:
        writer.writerow(holder_csv.export_cells(row))
