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
#: What of db/ the web may import: the row types (frozen dataclasses, enums) and the clock.
WEB_MAY_IMPORT = {
    "callauth.db.models",
    "callauth.db.console_models",
    "callauth.db.subscription",
    "callauth.db.clock",
}


def _imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports; ``from callauth.ivr import x`` names ``callauth.ivr.x``
    too when that is a module of ours."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            subs = (f"{node.module}.{alias.name}" for alias in node.names)
            names.update(name for name in subs if source_of(name) is not None)
    return names


def source_of(module: str) -> Path | None:
    """The file of one of our modules (``callauth.ivr.config`` → ``ivr/config/__init__.py``)."""
    parts = module.split(".")
    if parts[0] != "callauth" or len(parts) < 2:
        return None
    base = ROOT.joinpath(*parts[1:]) if parts[1] in GENERIC else ROOT.joinpath(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def path_to_db(path: Path) -> list[str] | None:
    """The chain of imports by which ``path`` reaches ``callauth.db`` (following our own
    modules' imports, transitively), or None when it never does."""
    seen: set[Path] = set()
    todo: list[tuple[Path, list[str]]] = [(path, [str(path.relative_to(ROOT))])]
    while todo:
        current, chain = todo.pop()
        for name in sorted(_imported_modules(current)):
            if name == "callauth.db" or name.startswith("callauth.db."):
                return [*chain, name]
            found = source_of(name)
            if found is not None and found not in seen:
                seen.add(found)
                todo.append((found, [*chain, name]))
    return None


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


@pytest.mark.parametrize("path", sorted((ROOT / "web").rglob("*.py")), ids=lambda p: p.name)
def test_web_imports_no_store_only_the_row_types(path: Path) -> None:
    """Views reach the domain through the services (ivr/wiring.py), never the store."""
    from_db = {
        n for n in _imported_modules(path) if n == "callauth.db" or n.startswith("callauth.db.")
    }
    assert from_db <= WEB_MAY_IMPORT, from_db - WEB_MAY_IMPORT


@pytest.mark.parametrize("name", sorted(PURE))
def test_pure_modules_reach_nothing_of_the_store(name: str) -> None:
    assert path_to_db(ROOT / name) is None, " → ".join(path_to_db(ROOT / name) or [])


def test_the_reach_check_follows_imports_to_the_store() -> None:
    """The check above can fail: a view reaches db through the service it imports."""
    chain = path_to_db(ROOT / "web" / "views_auth.py")
    assert chain is not None and len(chain) > 2 and chain[-1].startswith("callauth.db."), chain
    assert path_to_db(ROOT / "ivr" / "verification.py") is None
