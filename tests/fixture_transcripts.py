"""Read the recorded Asterisk transcripts in tests/fixtures/ byte for byte.

Each line is ``>> `` (Asterisk sent), ``<< `` (the recorder sent) or ``## `` (comment,
not on the wire) followed by the wire bytes with their terminator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures"

_LINE = re.compile(rb"[^\n]*\n")


@dataclass(frozen=True)
class Transcript:
    lines: tuple[tuple[str, bytes], ...]  # (">>" | "<<", wire bytes); comments dropped

    @property
    def header(self) -> bytes:
        """Asterisk's header block, up to and including the empty line."""
        out = b""
        for _way, data in self.lines:
            out += data
            if data == b"\n":
                return out
        raise ValueError("transcript has no complete header block")

    @property
    def env(self) -> dict[str, str]:
        pairs = (line.split(": ", 1) for line in self.header.decode()[:-2].split("\n"))
        return {key: value for key, value in pairs}

    @property
    def dialogue(self) -> tuple[tuple[str, bytes], ...]:
        """What follows the header block."""
        return self.lines[self.header.count(b"\n") :]

    def sent(self, way: str) -> bytes:
        """All dialogue bytes one side sent, concatenated."""
        return b"".join(data for w, data in self.dialogue if w == way)


def read_transcript(name: str) -> Transcript:
    data = (FIXTURES / name).read_bytes()
    lines = []
    for line in _LINE.findall(data):
        prefix, payload = line[:3], line[3:]
        if prefix in (b">> ", b"<< "):
            lines.append((prefix.decode().strip(), payload))
        elif prefix != b"## ":
            raise ValueError(f"{name}: line without a known prefix: {line[:20]!r}")
    return Transcript(tuple(lines))
