"""A small reader for the Asterisk configuration files shipped in ``asterisk-conf/``.

pyst2's ``asterisk.config`` rejects template sections (``[name](!)``) and keeps ``=>``
as part of the value; this reader handles what our files use: sections with options,
``;`` comments, ``key = value`` / ``key => value``, and dialplan ``exten``/``same`` lines
with numbered, ``n`` and labelled priorities.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

CONF = Path(__file__).resolve().parent.parent / "asterisk-conf"

_SECTION = re.compile(r"\[(?P<name>[^\]]+)\](?:\((?P<options>[^)]*)\))?")
_STEP = re.compile(
    r"(?P<priority>\d+|n)(?:\((?P<label>[\w-]+)\))?,(?P<app>\w+)(?:\((?P<args>.*)\))?"
)


@dataclass
class Section:
    name: str
    options: list[tuple[str, str]] = field(default_factory=list)

    def get(self, key: str, default: str | None = None) -> str | None:
        values = self.all(key)
        return values[-1] if values else default

    def all(self, key: str) -> list[str]:
        return [value for name, value in self.options if name == key]


@dataclass(frozen=True)
class Step:
    label: str
    app: str
    args: str


@dataclass
class Extension:
    pattern: str
    steps: list[Step] = field(default_factory=list)

    def matches(self, number: str) -> bool:
        return pattern_regex(self.pattern).fullmatch(number) is not None


def strip_comment(line: str) -> str:
    return re.split(r"(?<!\\);", line, maxsplit=1)[0].strip()


_INCLUDE = re.compile(r'#(?:try)?include\s+"(?P<file>[^"]+)"')


def shipped(name: str) -> Path:
    """A file as shipped: ``NAME`` itself, or ``NAME.sample`` for one the admin creates."""
    path = CONF / name
    return path if path.exists() else CONF / f"{name}.sample"


def read_sections(name: str, into: list[Section] | None = None) -> list[Section]:
    """The sections of ``name``; ``#include``/``#tryinclude`` continue the current section
    with the included file's lines, as Asterisk does."""
    sections: list[Section] = [] if into is None else into
    for number, raw in enumerate(shipped(name).read_text(encoding="utf-8").splitlines(), 1):
        line = strip_comment(raw)
        if not line:
            continue
        include = _INCLUDE.fullmatch(line)
        if include:
            read_sections(include["file"], sections)
            continue
        section = _SECTION.fullmatch(line)
        if section:
            sections.append(Section(section["name"]))
            continue
        key, sep, value = line.partition("=")
        if not sep or not sections:
            raise ValueError(f"{name}:{number}: not 'key = value' in a section: {raw!r}")
        sections[-1].options.append((key.strip(), value.removeprefix(">").strip()))
    return sections


def sections_named(sections: list[Section], name: str) -> list[Section]:
    return [s for s in sections if s.name == name]


def dialplan(name: str) -> dict[str, list[Extension]]:
    """context -> its extensions, each with its steps in priority order."""
    contexts: dict[str, list[Extension]] = {}
    for section in read_sections(name):
        extensions = contexts.setdefault(section.name, [])
        for key, value in section.options:
            if key == "exten":
                pattern, _, rest = value.partition(",")
                extensions.append(Extension(pattern.strip()))
            elif key == "same":
                rest = value
            else:
                continue
            step = _STEP.fullmatch(rest.strip())
            if step is None:
                raise ValueError(f"{name}: [{section.name}] bad dialplan step {value!r}")
            extensions[-1].steps.append(Step(step["label"] or "", step["app"], step["args"] or ""))
    return contexts


def pattern_regex(pattern: str) -> re.Pattern[str]:
    """Asterisk's extension pattern (``_0120111XXX``, ``_X.``, ``_[2-9]!``) as a regex."""
    if not pattern.startswith("_"):
        return re.compile(re.escape(pattern))
    out, chars = "", iter(pattern[1:])
    classes = {"X": "[0-9]", "Z": "[1-9]", "N": "[2-9]", ".": ".+", "!": ".*"}
    for char in chars:
        if char.upper() in classes:
            out += classes[char.upper()]
        elif char == "[":
            body = ""
            for inner in chars:
                if inner == "]":
                    break
                body += inner
            out += f"[{body}]"
        else:
            out += re.escape(char)
    return re.compile(out)


def globals_of(name: str) -> dict[str, str]:
    found = sections_named(read_sections(name), "globals")
    return {key: value for section in found for key, value in section.options}


def substitute(text: str, variables: dict[str, str]) -> str:
    return re.sub(r"\$\{(\w+)\}", lambda m: variables.get(m[1], m[0]), text)
