"""No module over 300 lines (the team's guide: under about 250), tests and benchmarks
included: a module that long holds more than one topic and is split by topic."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ["callauth", "db", "ivr", "web", "bench", "tests"]
MAX_LINES = 300


def python_modules() -> list[Path]:
    found = {p.resolve() for folder in FOLDERS for p in (ROOT / folder).rglob("*.py")}
    return sorted(p for p in found if ".venv" not in p.parts)


def test_every_folder_is_looked_at() -> None:
    folders = {p.relative_to(ROOT).parts[0] for p in python_modules()}
    assert folders == set(FOLDERS)


@pytest.mark.parametrize("path", python_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_over_300_lines(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(ROOT)}: {lines} lines; split it by topic"
