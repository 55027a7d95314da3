#!/usr/bin/env python3
"""Regenerate the Japanese prompts from prompts.toml, offline, with Open JTalk and sox.

    python3 asterisk-conf/sounds/generate.py [--out DIR] [--voice FILE] [--dict DIR]

Needs (Debian): ``apt-get install open-jtalk open-jtalk-mecab-naist-jdic sox``, and an HTS
voice. Debian has none; the one used for the committed files is "Mei" (mei_normal.htsvoice,
MMDAgent Project Team / Nagoya Institute of Technology, CC BY 3.0), shipped inside PyPI's
pyopenjtalk package. ``--fetch-voice`` takes it from there (``pip download``, nothing is
built or installed) into ``.voice/`` beside this script.

Writes ``<out>/<outcome>.wav``: 8 kHz, mono, 16-bit signed PCM, what Asterisk plays as
``callauth/<outcome>`` without transcoding.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import tomllib
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROMPTS = HERE / "prompts.toml"
OUT = HERE / "ja" / "callauth"
VOICE_NAME = "mei_normal.htsvoice"
#: The sdist that carries the voice (a pinned version: the same voice every time).
VOICE_PACKAGE = "pyopenjtalk==0.4.1"
DICT_DIRS = ("/var/lib/mecab/dic/open-jtalk/naist-jdic",)
VOICE_DIRS = ("/usr/share/hts-voice/mei", "/usr/share/hts-voice", str(HERE / ".voice"))
#: Speaking speed (Open JTalk -r): a touch slower than 1.0 reads well over the phone.
SPEED = "0.95"


def prompts(path: Path = PROMPTS) -> dict[str, str]:
    """outcome -> the text to synthesise (``reading`` where given, else ``text``)."""
    table = tomllib.loads(path.read_text(encoding="utf-8"))
    return {name: entry.get("reading", entry["text"]) for name, entry in table.items()}


def find_dictionary(given: str | None) -> Path:
    for candidate in (given, os.environ.get("OPEN_JTALK_DICT_DIR"), *DICT_DIRS):
        if candidate and (Path(candidate) / "sys.dic").is_file():
            return Path(candidate)
    raise SystemExit("no Open JTalk dictionary: apt-get install open-jtalk-mecab-naist-jdic")


def find_voice(given: str | None) -> Path:
    candidates = [given, os.environ.get("CALLAUTH_HTS_VOICE")]
    candidates += [str(Path(d) / VOICE_NAME) for d in VOICE_DIRS]
    try:  # an installed pyopenjtalk carries the voice too
        import pyopenjtalk  # type: ignore[import-not-found]

        candidates.append(str(Path(pyopenjtalk.__file__).parent / "htsvoice" / VOICE_NAME))
    except ImportError:
        pass
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    raise SystemExit(f"no HTS voice {VOICE_NAME}: pass --voice FILE or run with --fetch-voice")


def fetch_voice(target: Path) -> Path:
    """Take the voice out of pyopenjtalk's archive from PyPI (a wheel or the source; no build)."""
    target.mkdir(parents=True, exist_ok=True)
    wanted = (VOICE_NAME, "LICENSE_mei_normal.htsvoice")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "-d", tmp,
             VOICE_PACKAGE],
            check=True,
        )  # fmt: skip
        archive = next(Path(tmp).glob("pyopenjtalk-*"))
        if archive.suffix == ".whl":
            with zipfile.ZipFile(archive) as wheel:
                for name in wheel.namelist():
                    if Path(name).name in wanted:
                        (target / Path(name).name).write_bytes(wheel.read(name))
        else:
            with tarfile.open(archive) as tar:
                for member in tar.getmembers():
                    source = tar.extractfile(member) if Path(member.name).name in wanted else None
                    if source is not None:
                        (target / Path(member.name).name).write_bytes(source.read())
    return target / VOICE_NAME


def synthesise(text: str, out: Path, voice: Path, dictionary: Path) -> None:
    """text -> 48 kHz WAV (Open JTalk) -> 8 kHz mono 16-bit WAV with short silences (sox)."""
    with tempfile.TemporaryDirectory() as tmp:
        text_file, raw = Path(tmp) / "text.txt", Path(tmp) / "raw.wav"
        text_file.write_text(text + "\n", encoding="utf-8")
        subprocess.run(
            ["open_jtalk", "-x", str(dictionary), "-m", str(voice), "-r", SPEED,
             "-ow", str(raw), str(text_file)],
            check=True,
        )  # fmt: skip
        subprocess.run(
            # -D: no dither, so the same text always gives the same bytes.
            ["sox", "-D", str(raw), "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer",
             str(out), "norm", "-3", "pad", "0.3", "0.5"],
            check=True,
        )  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT, help=f"output folder (default {OUT})")
    parser.add_argument("--voice", help=f"the HTS voice file ({VOICE_NAME})")
    parser.add_argument("--dict", help="Open JTalk dictionary folder (naist-jdic)")
    parser.add_argument("--fetch-voice", action="store_true",
                        help="take the voice from PyPI's pyopenjtalk source archive first")  # fmt: skip
    parser.add_argument("only", nargs="*", help="outcomes to generate (default: all)")
    args = parser.parse_args(argv)
    for tool in ("open_jtalk", "sox"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} not found: apt-get install open-jtalk sox")
    voice = fetch_voice(HERE / ".voice") if args.fetch_voice else find_voice(args.voice)
    dictionary = find_dictionary(args.dict)
    table = prompts()
    unknown = sorted(set(args.only) - set(table))
    if unknown:
        raise SystemExit(f"not in {PROMPTS.name}: {', '.join(unknown)}")
    args.out.mkdir(parents=True, exist_ok=True)
    for outcome in args.only or table:
        synthesise(table[outcome], args.out / f"{outcome}.wav", voice, dictionary)
        print(f"{args.out / outcome}.wav")
    return 0


if __name__ == "__main__":
    sys.exit(main())
