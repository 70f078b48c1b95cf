"""Findings (what a check says about a file) and the reporters that print them.

Every stage collects findings instead of stopping at the first; the CLI prints them once, in one format.

A file name is data too: Linux allows any byte in it but `/` and NUL, a newline included, and a message quotes
record text. So every reporter escapes both for where its output goes. A terminal acts on control characters
(ESC starts a colour, a link, a screen clear) and bidirectional controls reorder what it shows; a CI log is
read line by line by GitHub's runner, which obeys a line that starts with `::warning ...` (leading white space
ignored) and, in its older syntax, `##[warning]` anywhere in a line. The text and GitHub formats show such
characters as visible escapes (`\\x1b`, `\\u202e`, `\\n`) and break up `##[`; a finding is always one line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Finding:
    """One problem in one file, pointing at the line and column of the value it concerns (1-based)."""

    path: str
    line: int
    column: int
    severity: Severity
    rule: str
    message: str

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["severity"] = self.severity.value
        return data


class IncidentKBError(Exception):
    """Base of every error the CLI turns into a clean message and an exit code."""

    exit_code = 1


class UsageError(IncidentKBError):
    """The command was called wrongly (exit 2)."""

    exit_code = 2


class InvalidRecordsError(IncidentKBError):
    """Records failed validation; carries the findings so the caller can report them."""

    def __init__(self, findings: list[Finding]) -> None:
        super().__init__(f"{sum(f.severity is Severity.ERROR for f in findings)} error(s) in the records")
        self.findings = findings


class BuildError(IncidentKBError):
    """Generating or publishing a site failed; the previous site is left untouched."""


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.severity is Severity.ERROR for f in findings)


# What a terminal or a log reader acts on, or what moves or reorders text: C0 controls (newline and tab too: one
# finding, one line), DEL, C1 controls, the line and paragraph separators, the bidirectional marks, embeddings,
# overrides and isolates; and lone surrogates, which a file name that is not UTF-8 holds (printing one raises).
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_LEGACY_COMMAND = "##["  # GitHub's runner obeys `##[command]...` anywhere in a line


_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _visible_escape(match: re.Match[str]) -> str:
    character = match.group()
    if character in _NAMED_ESCAPES:
        return _NAMED_ESCAPES[character]
    code = ord(character)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def visible(text: str) -> str:
    """`text` on one line with every character a terminal or a CI log would act on shown as its escape
    (`\\x1b`, `\\n`, `\\u202e`), and `##[` broken up (`##\\x5b`), so it prints as text and does nothing else."""
    if _UNSAFE.search(text):
        text = _UNSAFE.sub(_visible_escape, text)
    return text.replace(_LEGACY_COMMAND, "##\\x5b") if _LEGACY_COMMAND in text else text


def _text_path(path: str) -> str:
    """A path as the first thing on a line: one that would read as a workflow command (`::warning ...`, white
    space before it ignored) is shown as `./::warning ...`, the same file."""
    shown = visible(path)
    return f"./{shown}" if shown.lstrip().startswith("::") else shown


def format_text(findings: list[Finding]) -> str:
    lines = [
        f"{_text_path(f.path)}:{f.line}:{f.column}: {f.severity.value}[{visible(f.rule)}]: {visible(f.message)}"
        for f in findings
    ]
    errors = sum(f.severity is Severity.ERROR for f in findings)
    warnings = len(findings) - errors
    lines.append(f"{errors} error(s), {warnings} warning(s)")
    return "\n".join(lines)


def format_json(findings: list[Finding]) -> str:
    """JSON is safe by construction: ensure_ascii (the default) writes every control, bidirectional and non-ASCII
    character, and a lone surrogate, as a `\\uXXXX` escape. Only `##[`, which a CI log would obey, is written
    with its `[` as `\\u005b`: the same string to any JSON reader (`#` occurs only inside strings)."""
    text = json.dumps([f.to_dict() for f in findings], indent=2)
    return text.replace(_LEGACY_COMMAND, "##\\u005b") if _LEGACY_COMMAND in text else text


def _github_escape(value: str, *, property_value: bool = False) -> str:
    # Workflow commands treat %, CR and LF (and in properties also : and ,) as syntax; the runner decodes these
    # escapes, so a path or message keeps its line breaks in the annotation. Every other control is made visible.
    value = visible(value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))
    if property_value:
        value = value.replace(":", "%3A").replace(",", "%2C")
    return value


def format_github(findings: list[Finding]) -> str:
    lines = []
    for f in findings:
        props = ",".join(
            [
                f"file={_github_escape(f.path, property_value=True)}",
                f"line={f.line}",
                f"col={f.column}",
                f"title={_github_escape(f.rule, property_value=True)}",
            ]
        )
        lines.append(f"::{f.severity.value} {props}::{_github_escape(f.message)}")
    return "\n".join(lines)


REPORTERS = {"text": format_text, "json": format_json, "github": format_github}
