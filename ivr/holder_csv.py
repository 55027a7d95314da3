"""Reading and writing the holder file: every row checked, every problem reported.

:func:`parse` reads the whole text before anything is written and returns every bad row
with its line, column and reason, so that an import is all or nothing. Numbers are
checked by the number policy (ivr/phone_policy.py): a number that is no phone number is
an error; a real number that cannot verify (050, 0120 …) is imported, since the core
system holds it, and reported as a warning: that holder is one to contact before the
enforcement date.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from callauth.db.holder_import import ExportRow, ImportContract, ImportHolder
from callauth.ivr import phone_policy
from callauth.ivr.holder_layout import COLUMNS, CONTRACT_FIELDS, Layout

LOGIN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
POLICY_NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,39}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
MAX_TEXT = 100


@dataclass(frozen=True)
class Problem:
    line: int
    column: str  # the header as the file writes it, "" for the whole row
    reason: str

    def __str__(self) -> str:
        where = f"{self.line}行目" + (f" 「{self.column}」" if self.column else "")
        return f"{where}: {self.reason}"


@dataclass
class Parsed:
    holders: list[ImportHolder] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    rows: int = 0


def parse(
    text: str,
    layout: Layout,
    allowed_kinds: frozenset[str] = phone_policy.DEFAULT_ALLOWED_KINDS,
) -> Parsed:
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    parsed = Parsed()
    try:
        header = next(reader)
    except StopIteration:
        parsed.errors.append(Problem(1, "", "ファイルが空です（見出し行がありません）。"))
        return parsed
    except csv.Error as exc:
        parsed.errors.append(Problem(1, "", f"CSVとして読めません: {exc}"))
        return parsed
    index, problems = layout.header(header)
    if problems:
        parsed.errors += [Problem(1, "", problem) for problem in problems]
        return parsed
    _Rows(parsed, layout, allowed_kinds, index, header).read(reader)
    return parsed


class _Rows:
    def __init__(
        self,
        parsed: Parsed,
        layout: Layout,
        allowed: frozenset[str],
        index: dict[str, int],
        header: list[str],
    ) -> None:
        self.parsed, self.layout, self.allowed, self.index = parsed, layout, allowed, index
        self.title = {name: header[i].strip() for name, i in index.items()}
        self.holders: dict[str, tuple[int, ImportHolder, list[ImportContract]]] = {}
        self.policies: dict[str, int] = {}
        self.checked: dict[str, phone_policy.NumberCheck] = {}

    def read(self, reader: Iterable[list[str]]) -> None:
        rows = iter(reader)
        while True:
            try:
                cells = next(rows)
            except StopIteration:
                break
            except csv.Error as exc:
                line = getattr(rows, "line_num", 0)
                self.parsed.errors.append(Problem(line, "", f"CSVとして読めません: {exc}"))
                break
            line = getattr(rows, "line_num", 0)
            if not any(cell.strip() for cell in cells):
                continue  # a blank line, as spreadsheets leave at the end
            self.parsed.rows += 1
            self.row(line, cells)
        self.parsed.holders = [
            dataclasses.replace(holder, contracts=tuple(contracts))
            for _, holder, contracts in self.holders.values()
        ]

    def row(self, line: int, cells: list[str]) -> None:
        if len(cells) > len(self.title) + len(self.layout.ignore):
            self.error(
                line, "", f"列が多すぎます（{len(cells)}列）。見出し行と列の数をそろえてください。"
            )
            return
        values = {n: cells[i].strip() if i < len(cells) else "" for n, i in self.index.items()}
        holder = self.holder(line, values)
        contract = self.contract(line, values) if self.has_contract(values) else None
        # Even a bad row is compared with the others: every problem is reported at once
        # (and a file with any error writes nothing).
        self.merge(line, holder, contract)

    def error(self, line: int, name: str, reason: str) -> None:
        self.parsed.errors.append(Problem(line, self.title.get(name, name), reason))

    def text(self, line: int, values: dict[str, str], name: str, required: bool) -> str:
        value = values.get(name, "")
        if required and not value:
            self.error(line, name, "入力がありません。")
        elif len(value) > MAX_TEXT:
            self.error(line, name, f"{MAX_TEXT}文字以内にしてください。")
        return value

    def holder(self, line: int, values: dict[str, str]) -> ImportHolder:
        login_id = values.get("login_id", "")
        if not LOGIN_ID.fullmatch(login_id):
            self.error(line, "login_id", "ログインIDは英数字と . _ @ - の64文字以内です。"
                       if login_id else "入力がありません。")  # fmt: skip
        email = values.get("email") or None
        if email is not None and (len(email) > 254 or not EMAIL.fullmatch(email)):
            self.error(line, "email", "メールアドレスとして正しくありません。")
        return ImportHolder(
            login_id=login_id,
            name=self.text(line, values, "name", True),
            kana=self.text(line, values, "kana", False),
            birth_date=self.date(line, values, "birth_date", False),
            email=email,
            phone_e164=self.phone(line, values, "phone"),
        )

    def has_contract(self, values: dict[str, str]) -> bool:
        return any(values.get(name) for name in CONTRACT_FIELDS if name not in (
            "insured_same", "online_change"))  # fmt: skip

    def contract(self, line: int, values: dict[str, str]) -> ImportContract:
        policy = values.get("policy_number", "")
        if policy and not POLICY_NUMBER.fullmatch(policy):
            self.error(line, "policy_number", "証券番号は英数字とハイフンの40文字以内です。")
        start = self.date(line, values, "start", True)
        end = self.date(line, values, "end", True)
        if start and end and end < start:
            self.error(line, "end", "保険終期が保険始期より前になっています。")
        same = self.flag(line, values, "insured_same", False)
        insured_phone = self.phone(line, values, "insured_phone")
        if same and insured_phone is None:  # DESIGN: the number is kept on the insured's record
            insured_phone = self.phone(line, values, "phone", quiet=True)
        return ImportContract(
            policy_number=self.text(line, values, "policy_number", True),
            product=self.text(line, values, "product", True),
            start_date=start,
            end_date=end,
            insured_name=self.text(line, values, "insured_name", True),
            insured_phone_e164=insured_phone,
            insured_same_as_holder=same,
            changeable_online=self.flag(line, values, "online_change", True),
        )

    def date(self, line: int, values: dict[str, str], name: str, required: bool) -> str:
        value = values.get(name, "")
        if not value:
            if required:
                self.error(line, name, "入力がありません。")
            return ""
        if re.fullmatch(r"\d{4}[-/]\d{1,2}[-/]\d{1,2}", value) and value.count(value[4]) == 2:
            year, month, day = map(int, value.replace("/", "-").split("-"))
            try:
                return datetime.date(year, month, day).isoformat()
            except ValueError:
                pass
        self.error(line, name, f"日付は YYYY-MM-DD か YYYY/MM/DD で入力してください（{value}）。")
        return ""

    def flag(self, line: int, values: dict[str, str], name: str, default: bool) -> bool:
        value = values.get(name, "")
        if not value:
            return default
        flag = self.layout.flag(value)
        if flag is None:
            yes, no = "・".join(sorted(self.layout.true)), "・".join(sorted(self.layout.false))
            self.error(line, name, f"{yes}（はい）か {no}（いいえ）で入力してください（{value}）。")
            return default
        return flag

    def phone(
        self, line: int, values: dict[str, str], name: str, *, quiet: bool = False
    ) -> str | None:
        value = values.get(name, "")
        if not value:
            return None
        check = self.checked.get(value)
        if check is None:  # a holder's number recurs on each contract's row and the insured's
            check = self.checked[value] = phone_policy.check(value, self.allowed)
        if check.e164 is None:
            if not quiet:
                self.error(line, name, check.message)
            return None
        if not check.registrable and not quiet:
            where = self.title.get(name, name)
            self.parsed.warnings.append(Problem(line, where, check.message))
        return check.e164

    def merge(self, line: int, holder: ImportHolder, contract: ImportContract | None) -> None:
        seen = self.holders.get(holder.login_id)
        if seen is None:
            self.holders[holder.login_id] = (line, holder, [])
        else:
            first_line, first, _ = seen
            for name, value in holder.__dict__.items():
                if name != "contracts" and getattr(first, name) != value:
                    column = "phone" if name == "phone_e164" else name
                    self.error(line, column, f"同じログインIDの{first_line}行目と異なります。")
        if contract is None:
            return
        earlier = self.policies.get(contract.policy_number)
        if earlier is not None:
            self.error(line, "policy_number", f"{earlier}行目と同じ証券番号です。")
            return
        self.policies[contract.policy_number] = line
        self.holders[holder.login_id][2].append(contract)


def header_row() -> list[str]:
    return [japanese for _, japanese in COLUMNS]


def export_cells(row: ExportRow) -> list[str]:
    """One row of the default layout: what :func:`parse` reads back as the same holder."""
    h, c = row.holder, row.contract
    cells = [h.login_id, h.name, h.kana, h.birth_date, h.email or "", _number(h.phone_e164)]
    if c is None:
        return cells + [""] * (len(COLUMNS) - len(cells))
    return cells + [
        c.policy_number, c.product, c.start_date, c.end_date, c.insured_name,
        _number(c.insured_phone_e164), "1" if c.insured_same_as_holder else "0",
        "1" if c.changeable_online else "0",
    ]  # fmt: skip


def _number(e164: str | None) -> str:
    return phone_policy.display(e164) if e164 else ""
