"""Findings (what a check says about a file) and the reporters that print them.

Every stage collects findings instead of stopping at the first; the CLI prints them once, in one format.
"""

from __future__ import annotations

import json
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


def format_text(findings: list[Finding]) -> str:
    lines = [f"{f.path}:{f.line}:{f.column}: {f.severity.value}[{f.rule}]: {f.message}" for f in findings]
    errors = sum(f.severity is Severity.ERROR for f in findings)
    warnings = len(findings) - errors
    lines.append(f"{errors} error(s), {warnings} warning(s)")
    return "\n".join(lines)


def format_json(findings: list[Finding]) -> str:
    return json.dumps([f.to_dict() for f in findings], indent=2)


def _github_escape(value: str, *, property_value: bool = False) -> str:
    # Workflow commands treat %, CR and LF (and in properties also : and ,) as syntax.
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
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
