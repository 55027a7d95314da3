"""The package declares every data file it ships, so setuptools has nothing to warn about
("Package would be ignored" for web/static, web/templates, db/migrations, issue 10)."""

from __future__ import annotations

import fnmatch
import pathlib

from setuptools.config.setupcfg import read_configuration

ROOT = pathlib.Path(__file__).resolve().parent.parent
DATA_FOLDERS = ("db/migrations", "db/migrations/postgresql", "web/templates", "web/static")


def _options() -> dict[str, object]:
    return dict(read_configuration(str(ROOT / "setup.cfg"))["options"])


def test_every_data_folder_is_a_declared_package() -> None:
    packages = set(_options()["packages"])  # type: ignore[call-overload]
    for folder in DATA_FOLDERS:
        assert "callauth." + folder.replace("/", ".") in packages, folder
    assert not any(p.startswith("tests") or "__pycache__" in p for p in packages)


def test_every_file_in_a_data_folder_is_declared_package_data() -> None:
    package_data: dict[str, list[str]] = _options()["package_data"]  # type: ignore[assignment]
    for folder in DATA_FOLDERS:
        patterns = package_data.get("callauth." + folder.replace("/", "."), [])
        for path in (ROOT / folder).iterdir():
            if path.is_file():
                assert any(fnmatch.fnmatch(path.name, p) for p in patterns), path
