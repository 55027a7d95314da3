"""`pip install .` into a fresh venv, then `callauth serve --demo` serves its pages: the
package carries its migrations, templates and static files, not only the working tree."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.ports import free_ports

ROOT = Path(__file__).resolve().parent.parent


def get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.read()


def test_a_fresh_venv_install_serves_the_demo(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(ROOT)]
    subprocess.run(pip, check=True, timeout=600, capture_output=True)
    (site,) = venv.glob("lib/python*/site-packages")
    top_level = {p.name for p in site.iterdir()}
    assert {"db", "ivr", "web"}.isdisjoint(top_level) and (site / "callauth" / "db").is_dir()
    assert not (site / "callauth" / "db").is_symlink()  # a copy, not a link into the tree
    http, agi, admin = (f"127.0.0.1:{port}" for port in free_ports(3))
    work = tmp_path / "run"
    work.mkdir()  # not the repository: nothing may come from the working tree
    serve = subprocess.Popen(
        [str(venv / "bin" / "callauth"), "serve", "--demo", "--db", str(work / "demo.db"),
         "--http", http, "--agi", agi, "--admin", admin],
        cwd=work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        env={k: v for k, v in os.environ.items() if not k.startswith("CALLAUTH_")},
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, page = get(f"http://{http}/login")
                break
            except OSError:
                assert serve.poll() is None, serve.stdout.read().decode() if serve.stdout else ""
                assert time.monotonic() < deadline, "serve did not answer within 60 s"
                time.sleep(0.2)
        assert status == 200 and "ログイン".encode() in page
        assert get(f"http://{http}/static/verify.js")[0] == 200
        assert get(f"http://{http}/favicon.ico")[0] == 200
    finally:
        serve.terminate()
        serve.wait(20)
        if serve.stdout:
            serve.stdout.close()
