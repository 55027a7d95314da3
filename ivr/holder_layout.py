"""The columns of the core system's holder file, and a mapping file for other layouts.

The default layout is one row per contract with a header row naming the columns in any
order, in Japanese or by their English aliases (DESIGN.md, issue 13). A mapping file
(TOML) names the columns of another layout::

    [columns]            # the file's header → a field (the English alias)
    "顧客番号" = "login_id"
    "契約者名" = "name"
    [options]
    ignore = ["支店コード"]        # columns to skip
    true = ["1", "有"]             # what the flags' yes and no look like
    false = ["0", "無"]
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field

#: (field, Japanese header), in the order an export writes them.
COLUMNS = (
    ("login_id", "ログインID"),
    ("name", "氏名"),
    ("kana", "フリガナ"),
    ("birth_date", "生年月日"),
    ("email", "メールアドレス"),
    ("phone", "電話番号"),
    ("policy_number", "証券番号"),
    ("product", "保険種類"),
    ("start", "保険始期"),
    ("end", "保険終期"),
    ("insured_name", "被保険者氏名"),
    ("insured_phone", "被保険者電話番号"),
    ("insured_same", "被保険者同一"),
    ("online_change", "オンライン変更可"),
)
FIELDS = tuple(name for name, _ in COLUMNS)
JAPANESE = dict(COLUMNS)
#: Every row needs these; the contract's own are needed when a row names a contract.
REQUIRED = ("login_id", "name")
CONTRACT_REQUIRED = ("policy_number", "product", "start", "end", "insured_name")
CONTRACT_FIELDS = (*CONTRACT_REQUIRED, "insured_phone", "insured_same", "online_change")


class LayoutError(ValueError):
    """The mapping file or the header row cannot be used; the message says why."""


@dataclass(frozen=True)
class Layout:
    #: A header (as the file writes it) → a field name.
    names: dict[str, str] = field(default_factory=dict)
    ignore: frozenset[str] = frozenset()
    true: frozenset[str] = frozenset({"1"})
    false: frozenset[str] = frozenset({"0"})

    @classmethod
    def default(cls) -> Layout:
        names = {japanese: name for name, japanese in COLUMNS}
        names.update({name: name for name in FIELDS})
        return cls(names)

    @classmethod
    def from_toml(cls, text: str) -> Layout:
        try:
            parsed = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise LayoutError(f"マッピングファイルを読めません: {exc}") from exc
        columns = parsed.get("columns", {})
        options = parsed.get("options", {})
        if not isinstance(columns, dict) or not isinstance(options, dict):
            raise LayoutError("マッピングファイルの [columns] と [options] は表にしてください。")
        unknown = sorted(set(parsed) - {"columns", "options"}) + sorted(
            set(options) - {"ignore", "true", "false"}
        )
        if unknown:
            raise LayoutError(f"マッピングファイルに不明な項目があります: {', '.join(unknown)}")
        for header, name in columns.items():
            if name not in FIELDS:
                raise LayoutError(
                    f"マッピングファイル: 「{header}」の割り当て先 {name!r} は項目名ではありません"
                    f"（{', '.join(FIELDS)} のいずれか）。"
                )
        default = cls.default()
        return cls(
            {**default.names, **{str(h): str(n) for h, n in columns.items()}},
            frozenset(map(str, options.get("ignore", ()))),
            frozenset(map(str, options.get("true", default.true))),
            frozenset(map(str, options.get("false", default.false))),
        )

    def header(self, cells: list[str]) -> tuple[dict[str, int], list[str]]:
        """(field → column index, problems) for the header row ``cells``."""
        found: dict[str, int] = {}
        problems = []
        for index, cell in enumerate(cells):
            title = cell.strip()
            if title in self.ignore:
                continue
            name = self.names.get(title)
            if name is None:
                problems.append(f"列「{title}」は不明な列です（マッピングファイルで割り当てるか"
                                " ignore に入れてください）。")  # fmt: skip
            elif name in found:
                problems.append(f"列「{title}」は「{cells[found[name]].strip()}」と同じ項目です。")
            else:
                found[name] = index
        missing = [JAPANESE[name] for name in REQUIRED if name not in found]
        if missing:
            problems.append(f"必須の列がありません: {', '.join(missing)}")
        if any(name in found for name in CONTRACT_FIELDS):
            absent = [JAPANESE[n] for n in CONTRACT_REQUIRED if n not in found]
            if absent:
                problems.append(f"契約の列がそろっていません（ないもの: {', '.join(absent)}）。")
        return found, problems

    def flag(self, text: str) -> bool | None:
        if text in self.true:
            return True
        if text in self.false:
            return False
        return None
