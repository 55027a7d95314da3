"""The announce-mode prompts: one Asterisk-ready WAV per outcome, regenerable from text."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import tomllib
import wave
from pathlib import Path
from types import ModuleType

import pytest

from callauth.ivr.agi_handlers import ENTER_CODE, WRONG_CODE
from callauth.ivr.dialplan import Outcome
from callauth.ivr.ending import PROMPTS

SOUNDS = Path(__file__).resolve().parent.parent / "asterisk-conf" / "sounds"
GENERATE = SOUNDS / "generate.py"


def wav_facts(path: Path) -> tuple[int, int, int, float]:
    """(rate, channels, sample width in bytes, seconds)."""
    with wave.open(str(path), "rb") as audio:
        rate = audio.getframerate()
        return rate, audio.getnchannels(), audio.getsampwidth(), audio.getnframes() / rate


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("callauth_sound_generate", GENERATE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


KEYPAD_PROMPTS = (ENTER_CODE, WRONG_CODE)


@pytest.mark.parametrize("prompt", [*PROMPTS.values(), *KEYPAD_PROMPTS])
def test_every_prompt_is_an_8khz_mono_16bit_wav_of_plausible_length(prompt: str) -> None:
    # Asterisk finds callauth/<name> for a channel in language "ja" under sounds/ja/.
    path = SOUNDS / "ja" / f"{prompt}.wav"
    assert path.is_file(), f"missing {path}"
    rate, channels, width, seconds = wav_facts(path)
    assert (rate, channels, width) == (8000, 1, 2)
    assert 2.0 <= seconds <= 25.0


def test_every_outcome_has_a_prompt_text_in_polite_japanese() -> None:
    table = tomllib.loads((SOUNDS / "prompts.toml").read_text(encoding="utf-8"))
    outcomes = {o.value for o in Outcome}
    assert set(table) == outcomes | {p.removeprefix("callauth/") for p in KEYPAD_PROMPTS}
    assert {p.removeprefix("callauth/") for p in PROMPTS.values()} == outcomes
    for name, entry in table.items():
        text = entry["text"]
        assert text.endswith("。") and ("ください" in text or "ました" in text), name
    assert "186" in table["withheld"]["text"]
    assert "いち、はち、ろく" in generator().prompts()["withheld"]


def tts_available() -> bool:
    if shutil.which("open_jtalk") is None or shutil.which("sox") is None:
        return False
    module = generator()
    try:
        module.find_voice(None)
        module.find_dictionary(None)
    except SystemExit:
        return False
    return True


@pytest.mark.skipif(not tts_available(), reason="Open JTalk, its dictionary or a voice missing")
def test_the_script_regenerates_the_committed_prompt(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(GENERATE), "--out", str(tmp_path), "withheld"],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    new, committed = tmp_path / "withheld.wav", SOUNDS / "ja" / "callauth" / "withheld.wav"
    rate, channels, width, seconds = wav_facts(new)
    assert (rate, channels, width) == (8000, 1, 2)
    # The same tools give the same bytes; other versions at least the same length.
    assert abs(seconds - wav_facts(committed)[3]) < 0.05 * seconds
