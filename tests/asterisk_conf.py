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


def _specificity(pattern: str) -> list[int]:
    """Asterisk's order of patterns (pbx.c ext_cmp): position by position, the one whose
    character matches fewer characters wins; ``.`` and ``!`` match the most."""
    if not pattern.startswith("_"):
        return [0]  # an exact extension comes before every pattern
    counts = {"X": 10, "Z": 9, "N": 8, ".": 1000, "!": 2000}
    weights, chars = [], iter(pattern[1:])
    for char in chars:
        if char == "[":
            body = "".join(iter(lambda: next(chars), "]"))
            size = sum(ord(b) - ord(a) + 1 for a, b in re.findall(r"(.)-(.)", body))
            weights.append(size + len(re.sub(r".-.", "", body)))
        else:
            weights.append(counts.get(char.upper(), 1))
    return weights


def best_match(extensions: list[Extension], number: str) -> Extension | None:
    """The extension Asterisk runs for ``number``: the most specific that matches."""
    matching = [e for e in extensions if e.matches(number)]
    return min(matching, key=lambda e: _specificity(e.pattern), default=None)


_GOTO_EXTEN = re.compile(r"Goto\((?P<target>[^,]*),1\)")


def route(name: str, context: str, number: str) -> tuple[Extension | None, str]:
    """Where a call to ``number`` in ``context`` runs its steps, following an extension
    whose only step is ``Goto(<new number>,1)`` (``${EXTEN}`` and ``${EXTEN:n}`` expanded)."""
    extensions = dialplan(name)[context]
    for _ in range(5):
        found = best_match(extensions, number)
        if found is None or len(found.steps) != 1 or found.steps[0].app != "Goto":
            return found, number
        target = found.steps[0].args.rsplit(",", 1)
        if len(target) != 2 or target[1] != "1" or "," in target[0]:
            return found, number
        number = _expand_exten(target[0], number)
    raise AssertionError(f"{name} [{context}]: Goto loop from {number}")


def _expand_exten(text: str, exten: str) -> str:
    return re.sub(r"\$\{EXTEN(?::(\d+))?\}", lambda m: exten[int(m[1] or 0) :], text)


def globals_of(name: str) -> dict[str, str]:
    found = sections_named(read_sections(name), "globals")
    return {key: value for section in found for key, value in section.options}


def substitute(text: str, variables: dict[str, str]) -> str:
    return re.sub(r"\$\{(\w+)\}", lambda m: variables.get(m[1], m[0]), text)
