"""Imports point one way: callauth → web → ivr → db (DESIGN.md, "Shape"), all inside the
one ``callauth`` import package (``callauth.db`` and so on, never a bare ``db``)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ["db", "ivr", "web", "callauth"]  # lowest first
#: Pure modules: the standard library and phonenumbers only.
PURE = {
    "ivr/verification.py", "ivr/phone_policy.py", "ivr/presentation.py", "ivr/dialplan.py",
    "ivr/notices.py", "ivr/number_pool.py", "ivr/ending.py", "ivr/jst.py",
}  # fmt: skip
PURE_ALLOWED = {"ivr", "phonenumbers"}
GENERIC = {"db", "ivr", "web"}  # only ever as callauth.db, callauth.ivr, callauth.web


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def imported_top_levels(path: Path) -> set[str]:
    """The layer of each import: ``callauth.db.store`` → ``db``, ``callauth.cli`` →
    ``callauth``, ``aiohttp.web`` → ``aiohttp``."""
    layers = set()
    for name in _imported_modules(path):
        parts = name.split(".")
        if parts[0] == "callauth" and len(parts) > 1 and parts[1] in GENERIC:
            layers.add(parts[1])
        else:
            layers.add(parts[0])
    return layers


def modules() -> list[Path]:
    return sorted(p for layer in LAYERS for p in (ROOT / layer).rglob("*.py"))


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_only_point_down(path: Path) -> None:
    layer = path.relative_to(ROOT).parts[0]
    higher = set(LAYERS[LAYERS.index(layer) + 1 :])
    assert not imported_top_levels(path) & higher


@pytest.mark.parametrize(
    "path",
    modules() + sorted((ROOT / "tests").rglob("*.py")),
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_no_bare_generic_import_names(path: Path) -> None:
    """``import db`` would load a second copy of the module beside ``callauth.db``."""
    bare = {n for n in _imported_modules(path) if n.split(".")[0] in GENERIC}
    assert not bare, bare


@pytest.mark.parametrize("name", sorted(PURE))
def test_pure_modules_import_no_framework_or_store(name: str) -> None:
    import sys

    imported = imported_top_levels(ROOT / name)
    third_party = {m for m in imported if m not in sys.stdlib_module_names}
    assert third_party <= PURE_ALLOWED


def test_web_never_touches_panoramisk_or_the_agi_edge() -> None:
    for path in (ROOT / "web").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "panoramisk" not in text and "ivr.agi_" not in text, path
